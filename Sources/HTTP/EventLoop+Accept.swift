import Glibc

/// Accepting and distributing connections. Any loop may accept from the shared socket (the
/// kernel tends to wake the same one), so each accepted connection is assigned round-robin and
/// handed to its loop through the inbox: connections, and with them the work, stay spread
/// evenly across cores.
extension EventLoop {
    func acceptConnections(now: UInt64) {
        guard listening else { return }
        for _ in 0..<64 {
            let (fd, remote) = Socket.accept(context.listenFD)
            if fd < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: a level-triggered listener would spin, so stop
                    // watching it for a moment.
                    stopListening()
                    acceptPausedUntil = now &+ 100_000_000
                    return
                default:  // EINVAL once shut down
                    stopListening()
                    return
                }
            }
            guard !draining else {
                refuse(fd)
                continue
            }
            Socket.setNoDelay(fd)
            guard context.tryAcquireConnection() else {
                // Full: make room by closing an idle connection rather than refusing this one
                // (silent sockets would otherwise lock every new client out).
                adoptReplacing(fd: fd, remote: remote, loopsLeft: context.loopCount - 1, now: now)
                continue
            }
            let target = context.nextLoop()
            if target === self {
                adopt(fd: fd, remote: remote, now: now)
            } else if !target.post(.adopt(fd: fd, remote: remote)) {
                release(fd)  // that loop has already stopped
            }
        }
    }

    /// Registers an accepted connection with this loop.
    func adopt(fd: Int32, remote: String, now: UInt64) {
        guard !draining else {
            release(fd)
            return
        }
        serialCounter &+= 1
        let machine = HTTPConnectionStateMachine(
            limits: context.limits, timeouts: context.timeouts,
            readAheadLimit: context.configuration.readAheadLimit, remoteAddress: remote,
            requestIDPrefix: requestIDPrefix + "-" + RequestID.hex(serialCounter),
            renderError: context.configuration.errorRenderer, now: now)
        let connection = ServerConnection(fd: fd, serial: UInt32(truncatingIfNeeded: serialCounter), machine: machine)
        // Registration reports readiness that predates it, so bytes that arrived during the
        // hand-off are not missed.
        guard Sys.epollCtl(epollFD, Sys.EPOLL_CTL_ADD, fd,
                           events: Sys.EPOLLIN | Sys.EPOLLOUT | Sys.EPOLLRDHUP | Sys.EPOLLET,
                           data: connection.epollData) == 0 else {
            release(fd)
            return
        }
        while connections.count <= Int(fd) { connections.append(nil) }
        connections[Int(fd)] = connection
        activeCount += 1
    }

    /// Closes a connection that never got registered and gives back its slot.
    func release(_ fd: Int32) {
        close(fd)
        context.releaseConnection()
    }

    /// Over the connection cap with nothing to evict: a best-effort 503, then close.
    func refuse(_ fd: Int32) {
        _ = context.overloadedResponse.withUnsafeBytes {
            send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
        }
        close(fd)
    }

    func stopListening() {
        guard listening else { return }
        listening = false
        _ = Sys.epollCtl(epollFD, Sys.EPOLL_CTL_DEL, context.listenFD, events: 0, data: 0)
    }
}
