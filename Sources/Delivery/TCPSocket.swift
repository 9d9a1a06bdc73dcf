import Glibc

/// A monotonic point in time by which an I/O step must finish. Every blocking
/// call in this module takes one, so a hostile or dead server can hold a
/// worker thread for at most the configured timeout, never forever.
typealias Deadline = ContinuousClock.Instant

extension Deadline {
    static func after(_ timeout: Duration) -> Deadline { .now + timeout }

    /// Milliseconds left for poll(2), or nil once the deadline has passed.
    var pollMilliseconds: Int32? {
        let left = self - .now
        guard left > .zero else { return nil }
        let (seconds, attoseconds) = left.components
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: max(1, ms))
    }
}

/// A non-blocking TCP socket whose calls block the calling thread only through
/// poll(2) with a deadline. Plain bytes only; TLS sits on top in `TLSConnection`.
final class TCPSocket {
    private(set) var fd: Int32
    let host: String
    let port: Int

    private init(fd: Int32, host: String, port: Int) {
        self.fd = fd
        self.host = host
        self.port = port
    }

    deinit { close() }

    /// Resolves `host` and tries each address in turn until one connects or
    /// the deadline passes. DNS resolution itself (getaddrinfo) cannot be
    /// interrupted; it is bounded by the resolver's own timeouts. With a
    /// `policy`, every address is checked before the first connect, and the
    /// checked addresses are the ones connected to.
    static func connect(host: String, port: Int, deadline: Deadline, policy: OutboundPolicy? = nil) throws -> TCPSocket {
        guard (1...65535).contains(port) else {
            throw DeliveryError(.connect, "invalid port \(port) for \(host)")
        }
        let addresses = try policy.map { try $0.resolve(host: host, port: port, what: "\(host):\(port)") }
            ?? ResolvedAddress.lookup(host: host, port: port)
        var lastError = DeliveryError(.connect, "no address for \(host)")
        for address in addresses {
            do {
                let fd = try connectOne(address, deadline: deadline, host: host, port: port)
                return TCPSocket(fd: fd, host: host, port: port)
            } catch let error as DeliveryError {
                lastError = error
                if error.code == .timeout { break }
            }
        }
        throw lastError
    }

    private static func connectOne(_ address: ResolvedAddress, deadline: Deadline, host: String, port: Int) throws -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw DeliveryError(.connect, "socket(): \(errnoText())") }
        var ok = false
        defer { if !ok { Glibc.close(fd) } }

        let status = address.socketAddress.withUnsafeBytes { raw in
            Glibc.connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        if status != 0 {
            guard errno == EINPROGRESS else {
                throw DeliveryError(.connect, "connect to \(host):\(port): \(errnoText())")
            }
            try waitFor(fd: fd, events: Int16(POLLOUT), deadline: deadline, what: "connect to \(host):\(port)")
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            guard soError == 0 else {
                throw DeliveryError(.connect, "connect to \(host):\(port): \(String(cString: strerror(soError)))")
            }
        }
        // SMTP is a chat of small commands; Nagle would delay each one.
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        ok = true
        return fd
    }

    /// Writes all of `bytes`. MSG_NOSIGNAL: a peer that closed must give an
    /// error here, not a process-killing SIGPIPE.
    func send(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws {
        var offset = 0
        while offset < bytes.count {
            guard fd >= 0 else { throw DeliveryError(.transient, "connection to \(host):\(port) is closed") }
            let n = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                try Self.waitFor(fd: fd, events: Int16(POLLOUT), deadline: deadline, what: "write to \(host):\(port)")
                continue
            }
            throw DeliveryError(.transient, "write to \(host):\(port): \(errnoText())")
        }
    }

    /// Reads what is available (at least one byte), or returns 0 at end of stream.
    func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws -> Int {
        while true {
            guard fd >= 0 else { throw DeliveryError(.transient, "connection to \(host):\(port) is closed") }
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK {
                try Self.waitFor(fd: fd, events: Int16(POLLIN), deadline: deadline, what: "read from \(host):\(port)")
                continue
            }
            throw DeliveryError(.transient, "read from \(host):\(port): \(errnoText())")
        }
    }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    private static func waitFor(fd: Int32, events: Int16, deadline: Deadline, what: String) throws {
        while true {
            guard let ms = deadline.pollMilliseconds else {
                throw DeliveryError(.timeout, "\(what) timed out")
            }
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&pfd, 1, ms)
            if n > 0 { return }  // ready, or an error the next call will report
            if n < 0 && errno != EINTR {
                throw DeliveryError(.transient, "\(what): poll: \(errnoText())")
            }
        }
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
