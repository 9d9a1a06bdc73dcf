import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP proxy in front of the test PostgreSQL that can be cut off:
/// `partition()` stops it passing a single byte either way (and accepting
/// new connections' traffic), as a network that drops packets does; `heal()`
/// lets everything through again, held bytes included. For the deadline and
/// recovery tests of a partition without network namespaces; `deploy/chaos.sh`
/// does the same with a real netns and iptables.
///
///     let proxy = try await TestTCPProxy.start()
///     defer { proxy.stop() }
///     let url = proxy.url(database: db.name)
public final class TestTCPProxy: @unchecked Sendable {
    public let port: Int
    private let upstreamPath: String
    private let listener: Int32
    private let wake: (read: Int32, write: Int32)
    private let lock = NSLock()
    private var partitioned = false
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    /// A libpq URL for `database` through the proxy.
    public func url(database: String, user: String = "postgres") -> String {
        "postgresql://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    public static func start() async throws -> TestTCPProxy {
        let admin = try await TestDatabase.adminURL()
        let socketPath = try await onThread { () -> String in
            let connection = try PostgresConnection(url: admin)
            let row = try connection.query("""
                SELECT split_part(current_setting('unix_socket_directories'), ',', 1) AS socket,
                       current_setting('port') AS port
                """)[0]
            return "\(try row.decode("socket", as: String.self))/.s.PGSQL.\(try row.decode("port", as: String.self))"
        }
        return try TestTCPProxy(upstreamPath: socketPath)
    }

    private init(upstreamPath: String) throws {
        self.upstreamPath = upstreamPath
        (listener, port) = try Loopback.bind(listening: true)
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        wake = (fds[0], fds[1])
        let thread = Thread { [self] in run() }
        thread.name = "herald-test-proxy"
        thread.start()
    }

    /// From now on nothing passes, either way, on old or new connections.
    public func partition() { set { $0.partitioned = true } }

    /// Everything passes again, including what was held.
    public func heal() { set { $0.partitioned = false } }

    /// Closes every connection and the listener; returns once done.
    public func stop() {
        set { $0.stopped = true }
        finished.wait()
        finished.signal()
    }

    private func set(_ change: (TestTCPProxy) -> Void) {
        lock.withLock { change(self) }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    private func run() {
        var pairs: [(client: Int32, server: Int32)] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let (isPartitioned, isStopped) = lock.withLock { (partitioned, stopped) }
            if isStopped { break }
            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            if !isPartitioned {
                fds.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0))
                for pair in pairs {
                    fds.append(pollfd(fd: pair.client, events: Int16(POLLIN), revents: 0))
                    fds.append(pollfd(fd: pair.server, events: Int16(POLLIN), revents: 0))
                }
            }
            guard poll(&fds, nfds_t(fds.count), 1000) > 0 else { continue }
            if fds[0].revents != 0 { _ = read(wake.read, &buffer, buffer.count) }
            if isPartitioned { continue }
            let polled = pairs.count // a connection accepted now is polled next round
            if fds[1].revents != 0 {
                let client = accept(listener, nil, nil)
                if client >= 0 {
                    if let server = connectUpstream() {
                        pairs.append((client, server))
                    } else {
                        close(client)
                    }
                }
            }
            var closed: Set<Int> = []
            for (index, pair) in pairs.prefix(polled).enumerated() {
                let clientEvents = fds[2 + index * 2].revents, serverEvents = fds[3 + index * 2].revents
                if clientEvents != 0 && !pump(from: pair.client, to: pair.server, &buffer) { closed.insert(index) }
                if serverEvents != 0 && !pump(from: pair.server, to: pair.client, &buffer) { closed.insert(index) }
            }
            for index in closed.sorted(by: >) {
                close(pairs[index].client)
                close(pairs[index].server)
                pairs.remove(at: index)
            }
        }
        for pair in pairs {
            close(pair.client)
            close(pair.server)
        }
        close(listener)
        close(wake.read)
        close(wake.write)
        finished.signal()
    }

    /// Copies what `source` has to `destination`; false when either side closed.
    private func pump(from source: Int32, to destination: Int32, _ buffer: inout [UInt8]) -> Bool {
        let count = read(source, &buffer, buffer.count)
        guard count > 0 else { return false }
        var sent = 0
        while sent < count {
            let written = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + sent, count - sent) }
            guard written > 0 else { return false }
            sent += written
        }
        return true
    }

    private func connectUpstream() -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(upstreamPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            return nil
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
        guard connected else {
            close(fd)
            return nil
        }
        return fd
    }
}
