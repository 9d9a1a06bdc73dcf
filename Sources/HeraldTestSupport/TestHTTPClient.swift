import Foundation
import Glibc
import HTTP

/// A small blocking HTTP/1.1 client over a raw socket, for tests. It sends exactly the bytes it
/// is given (so tests can send malformed or partial requests), and reads responses framed by
/// Content-Length, chunked coding, or connection close. Every read has a deadline.
///
///     // async tests: the one-shot async form, or blocking code inside `offload`
///     let response = try await TestHTTPClient.request(port: port, path: "/healthz")
///     try await TestHTTPClient.offload {
///         let client = try TestHTTPClient(port: port)
///         #expect(try client.request(method: "GET", path: "/healthz").status == 200)
///     }
///
/// Its methods block the calling thread. Never call them directly from an async test: a
/// blocked concurrency-pool thread may be one the server under test needs for its handlers.
/// Not thread-safe: use one client from one thread at a time.
public final class TestHTTPClient {
    public struct Response: Sendable {
        public var status: Int
        public var reason: String
        public var headers: HTTPHeaders
        public var body: [UInt8]

        public var bodyString: String { String(decoding: body, as: UTF8.self) }
    }

    public enum ClientError: Error, CustomStringConvertible {
        case connect(Int32)
        case io(Int32)
        case timeout
        /// The server closed the connection before a complete response.
        case closed(partial: [UInt8])
        case malformed(String)

        public var description: String {
            switch self {
            case .connect(let e): "connect failed: errno \(e)"
            case .io(let e): "socket error: errno \(e)"
            case .timeout: "timed out waiting for the server"
            case .closed(let partial): "connection closed by server after \(partial.count) bytes"
            case .malformed(let why): "malformed response: \(why)"
            }
        }
    }

    public let host: String
    public let port: Int
    /// Deadline for each `readResponse` / wait.
    public var timeout: Duration
    public private(set) var fd: Int32 = -1
    /// Received bytes not yet consumed by a parsed response.
    public private(set) var buffer: [UInt8] = []
    private var eof = false

    public init(host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(20)) throws {
        self.host = host
        self.port = port
        self.timeout = timeout
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        // IPv4 literals only (tests bind 127.0.0.1); "localhost" is taken to mean that.
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            throw ClientError.connect(EINVAL)
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ClientError.connect(errno) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw ClientError.connect(e)
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
    }

    deinit { close() }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Half-close: no more requests, but responses can still be read.
    public func shutdownWrite() {
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    // MARK: sending

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError.io(errno)
            }
            offset += n
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Serializes a request. Adds `Host` and (for a body) `Content-Length` unless given.
    public static func requestBytes(method: String = "GET", path: String, headers: [(String, String)] = [],
                                    body: [UInt8]? = nil, host: String = "127.0.0.1") -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\n"
        let names = Set(headers.map { $0.0.lowercased() })
        if !names.contains("host") { head += "Host: \(host)\r\n" }
        if let body, !names.contains("content-length"), !names.contains("transfer-encoding") {
            head += "Content-Length: \(body.count)\r\n"
        }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (body ?? [])
    }

    /// Sends one request and reads its response (keep-alive: the connection stays usable).
    public func request(method: String = "GET", path: String, headers: [(String, String)] = [],
                        body: [UInt8]? = nil) throws -> Response {
        try send(TestHTTPClient.requestBytes(method: method, path: path, headers: headers, body: body,
                                             host: "\(host):\(port)"))
        return try readResponse(method: method)
    }

    /// One-shot convenience: connect, send, read, close. It waits as long as a
    /// client made with `init` (20 s): a loaded test machine can take seconds
    /// for a key pair or a tenant with its templates, and a verdict on speed
    /// belongs in a benchmark, not here.
    public static func request(port: Int, method: String = "GET", path: String, headers: [(String, String)] = [],
                               body: [UInt8]? = nil, timeout: Duration = .seconds(20)) throws -> Response {
        let client = try TestHTTPClient(port: port, timeout: timeout)
        defer { client.close() }
        return try client.request(method: method, path: path, headers: headers, body: body)
    }

    /// One-shot convenience for async tests: connect, send, read, close, on a thread of its own.
    public static func request(port: Int, method: String = "GET", path: String, headers: [(String, String)] = [],
                               body: [UInt8]? = nil, timeout: Duration = .seconds(20)) async throws -> Response {
        try await offload {
            try request(port: port, method: method, path: path, headers: headers, body: body, timeout: timeout)
        }
    }

    /// Runs blocking client code on a dedicated thread. Async tests must not block a thread of
    /// the concurrency pool: the server under test runs its handlers there, and a pool blocked
    /// by waiting clients would stall them until the client times out.
    public static func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.start()
        }
    }

    // MARK: reading

    /// Reads the next response. Interim 1xx responses are skipped unless `skipInformational`
    /// is false. `method` says whether the response to a HEAD has no body.
    public func readResponse(method: String = "GET", skipInformational: Bool = true) throws -> Response {
        let deadline = ContinuousClock.now + timeout
        while true {
            let response = try readOneResponse(method: method, deadline: deadline)
            if skipInformational && response.status >= 100 && response.status < 200 { continue }
            return response
        }
    }

    private func readOneResponse(method: String, deadline: ContinuousClock.Instant) throws -> Response {
        let headEnd = try fill(until: deadline) { TestHTTPClient.find([13, 10, 13, 10], in: $0) }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw ClientError.malformed("status line \(statusLine)")
        }
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw ClientError.malformed("header \(line)") }
            headers.add(name: String(line[..<colon]),
                        value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let reason = parts.count > 2 ? String(parts[2]) : ""
        if method == "HEAD" || status < 200 || status == 204 || status == 304 {
            return Response(status: status, reason: reason, headers: headers, body: [])
        }
        let body: [UInt8]
        if headers["Transfer-Encoding"]?.lowercased() == "chunked" {
            body = try readChunked(deadline: deadline)
        } else if let length = headers["Content-Length"].flatMap({ Int($0) }) {
            _ = try fill(until: deadline) { $0.count >= length ? length : nil }
            body = Array(buffer[..<length])
            buffer.removeFirst(length)
        } else {
            body = try readToEnd(deadline: deadline)
        }
        return Response(status: status, reason: reason, headers: headers, body: body)
    }

    private func readChunked(deadline: ContinuousClock.Instant) throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let lineEnd = try fill(until: deadline) { TestHTTPClient.find([13, 10], in: $0) }
            let line = String(decoding: buffer[..<lineEnd], as: UTF8.self)
            buffer.removeFirst(lineEnd + 2)
            guard let size = Int(line.split(separator: ";")[0], radix: 16) else {
                throw ClientError.malformed("chunk size \(line)")
            }
            if size == 0 {
                // trailers until an empty line
                while true {
                    let end = try fill(until: deadline) { TestHTTPClient.find([13, 10], in: $0) }
                    buffer.removeFirst(end + 2)
                    if end == 0 { return body }
                }
            }
            _ = try fill(until: deadline) { $0.count >= size + 2 ? size : nil }
            body.append(contentsOf: buffer[..<size])
            buffer.removeFirst(size + 2)
        }
    }

    /// Everything until the server closes (buffered bytes included).
    public func readToEnd(deadline: ContinuousClock.Instant? = nil) throws -> [UInt8] {
        let deadline = deadline ?? ContinuousClock.now + timeout
        while !eof { try receive(deadline: deadline) }
        defer { buffer = [] }
        return buffer
    }

    /// Whether the server closes the connection within `within` (EOF or reset), discarding any
    /// bytes that arrive first. False if it is still open then.
    public func waitForClose(within: Duration) -> Bool {
        let deadline = ContinuousClock.now + within
        do {
            while !eof { try receive(deadline: deadline) }
            return true
        } catch ClientError.io {
            return true  // reset counts as closed
        } catch {
            return false
        }
    }

    /// Waits until the buffer satisfies `condition` (which returns a position), reading more.
    private func fill(until deadline: ContinuousClock.Instant, _ condition: ([UInt8]) -> Int?) throws -> Int {
        while true {
            if let position = condition(buffer) { return position }
            if eof { throw ClientError.closed(partial: buffer) }
            try receive(deadline: deadline)
        }
    }

    /// One recv, waiting at most until `deadline`.
    private func receive(deadline: ContinuousClock.Instant) throws {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { throw ClientError.timeout }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, milliseconds)
        if ready < 0 {
            if errno == EINTR { return }
            throw ClientError.io(errno)
        }
        if ready == 0 { throw ClientError.timeout }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EINTR || errno == EAGAIN { return }
            throw ClientError.io(errno)
        }
        if n == 0 {
            eof = true
            return
        }
        buffer.append(contentsOf: chunk[..<n])
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }
}
