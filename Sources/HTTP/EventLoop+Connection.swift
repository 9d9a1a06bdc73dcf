import Glibc

/// Per-connection I/O: reading into the state machine, carrying out its actions, writing.
extension EventLoop {
    /// Reads at most this many times per connection per wake-up, then yields to the others.
    static let readsPerDrive = 16

    /// Lets the state machine act on what it has, reading more while it wants input.
    func drive(_ connection: ServerConnection, now: UInt64) {
        var budget = EventLoop.readsPerDrive
        while true {
            guard runActions(connection, now: now) else { return }
            guard connection.readable && connection.machine.wantsInput else { return }
            if budget == 0 {
                if !connection.queuedForRedrive {
                    connection.queuedForRedrive = true
                    redrive.append(connection)
                }
                return
            }
            budget -= 1
            guard readOnce(connection, now: now) else { return }
        }
    }

    /// Returns false when the connection was closed.
    private func readOnce(_ connection: ServerConnection, now: UInt64) -> Bool {
        let n = read(connection.fd, readBuffer.baseAddress, readBuffer.count)
        if n > 0 {
            connection.machine.bytesReceived(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]), now: now)
            // A short read means drained: the next arrival raises a new edge. After a hang-up
            // there is no further edge, so then read on until EOF.
            if n < readBuffer.count && !connection.hangup { connection.readable = false }
            return true
        }
        if n == 0 {
            connection.readable = false
            connection.machine.inputEnded()
            return true
        }
        switch errno {
        case EAGAIN, EWOULDBLOCK:
            connection.readable = false
            return true
        case EINTR:
            return true
        default:  // ECONNRESET and friends: nothing more can be said on this socket
            closeConnection(connection)
            return false
        }
    }

    /// Runs state-machine actions until it waits. Returns false when the connection was closed.
    private func runActions(_ connection: ServerConnection, now: UInt64) -> Bool {
        while true {
            let action = connection.machine.nextAction(now: now)
            if case .wait = action { return true }
            guard execute(action, on: connection, now: now) else { return false }
        }
    }

    /// Carries out one action. Returns false when the connection is (now) closed.
    func execute(_ action: HTTPConnectionStateMachine.Action, on connection: ServerConnection, now: UInt64) -> Bool {
        guard !connection.closed else { return false }
        switch action {
        case .wait:
            return true
        case .sendContinue:
            connection.output.append(contentsOf: HTTPResponseSerializer.continueResponse)
            return flush(connection, now: now)
        case .dispatch(let request):
            dispatch(request, on: connection)
            return true
        case .respond(let response, let responseContext):
            let configuration = context.configuration
            HTTPResponseSerializer.write(
                response, context: responseContext, serverName: configuration.serverName,
                date: configuration.sendDateHeader ? dateCache.current() : nil, into: &connection.output)
            if let log = configuration.accessLog {
                let elapsed = now >= responseContext.startedAt ? now - responseContext.startedAt : 0
                log(HTTPAccessLogEntry(
                    method: responseContext.method, path: responseContext.path, status: response.status.code,
                    duration: .nanoseconds(Int64(clamping: elapsed)), requestID: responseContext.requestID,
                    remoteAddress: connection.machine.remoteAddress))
            }
            return flush(connection, now: now)
        case .shutdownWrite:
            Glibc.shutdown(connection.fd, Int32(SHUT_WR))
            return true
        case .close:
            closeConnection(connection)
            return false
        }
    }

    private func dispatch(_ request: HTTPRequest, on connection: ServerConnection) {
        let responder = context.responder
        let fd = connection.fd
        let serial = connection.serial
        if context.configuration.runHandlersOnEventLoop {
            Task(executorPreference: self) {
                let response = await responder.respond(to: request)
                self.complete(fd: fd, serial: serial, response: response)
            }
        } else {
            Task {
                let response = await responder.respond(to: request)
                self.complete(fd: fd, serial: serial, response: response)
            }
        }
    }

    /// Writes queued output until done or the socket is full. Returns false when the
    /// connection was closed (peer gone).
    func flush(_ connection: ServerConnection, now: UInt64) -> Bool {
        guard !connection.closed else { return false }
        guard connection.outputIndex < connection.output.count else { return true }
        var progressed = false
        while connection.outputIndex < connection.output.count {
            let n = connection.output.withUnsafeBytes { bytes in
                send(connection.fd, bytes.baseAddress! + connection.outputIndex,
                     bytes.count - connection.outputIndex, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                connection.outputIndex += n
                progressed = true
                continue
            }
            let error = errno
            if n < 0 && error == EINTR { continue }
            if n < 0 && (error == EAGAIN || error == EWOULDBLOCK) {
                connection.machine.outputState(pending: true, progressed: progressed, now: now)
                return true
            }
            closeConnection(connection)  // EPIPE, ECONNRESET
            return false
        }
        if connection.output.capacity > 65536 {
            connection.output = []
        } else {
            connection.output.removeAll(keepingCapacity: true)
        }
        connection.outputIndex = 0
        connection.machine.outputState(pending: false, progressed: progressed, now: now)
        return true
    }
}
