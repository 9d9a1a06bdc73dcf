import CLibPQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The listener thread: owns the connection, never shares it.
final class ListenerLoop: @unchecked Sendable {
    let url: String
    let shared: ListenerShared
    let connectTimeout: Int
    let minDelay: Double
    let maxDelay: Double

    init(url: String, shared: ListenerShared, connectTimeout: Int, minDelay: Double, maxDelay: Double) {
        self.url = url
        self.shared = shared
        self.connectTimeout = connectTimeout
        self.minDelay = minDelay
        self.maxDelay = maxDelay
    }

    func run() {
        var connection: PostgresConnection?
        var everConnected = false
        var delay = minDelay
        while !shared.isStopped {
            if connection?.isConnected != true {
                shared.setConnected(false)
                connection = nil
                do {
                    let fresh = try PostgresConnection(url: url, connectTimeout: connectTimeout)
                    for channel in shared.currentChannels.sorted() {
                        try fresh.execute("LISTEN \"\(channel)\"")
                    }
                    connection = fresh
                    shared.setConnected(true)
                    delay = minDelay
                    if everConnected {
                        shared.continuation.yield(PostgresNotification(kind: .reconnected, channel: "", payload: "", pid: 0))
                    }
                    everConnected = true
                } catch {
                    // Fail callers waiting on LISTEN now rather than hang; the
                    // channels stay registered for the next attempt.
                    for command in shared.takeCommands() { command.done(.failure(error)) }
                    wait(socket: -1, timeout: delay)
                    delay = min(delay * 2, maxDelay)
                    continue
                }
            }
            guard let connection else { continue }

            for command in shared.takeCommands() {
                do {
                    switch command.operation {
                    case .listen(let channel): try connection.execute("LISTEN \"\(channel)\"")
                    case .unlisten(let channel): try connection.execute("UNLISTEN \"\(channel)\"")
                    }
                    command.done(.success(()))
                } catch {
                    command.done(.failure(error))
                }
            }
            deliver(connection)
            guard connection.isConnected else { continue }
            if wait(socket: connection.socket, timeout: nil) {
                if !connection.consumeInput() { continue } // broken: reconnect
                deliver(connection)
            }
        }
        connection?.close()
        shared.setConnected(false)
        shared.finish()
    }

    private func deliver(_ connection: PostgresConnection) {
        for notification in connection.takeNotifications() {
            shared.continuation.yield(notification)
        }
    }

    /// Sleeps in poll() until the socket is readable, a wake-up arrives or
    /// `timeout` (seconds) passes. Returns whether the socket is readable.
    @discardableResult
    private func wait(socket: Int32, timeout: Double?) -> Bool {
        var fds = [pollfd(fd: shared.wake.read, events: Int16(POLLIN), revents: 0)]
        if socket >= 0 { fds.append(pollfd(fd: socket, events: Int16(POLLIN), revents: 0)) }
        let millis = timeout.map { Int32(($0 * 1000).rounded(.up)) } ?? -1
        let ready = poll(&fds, nfds_t(fds.count), millis)
        guard ready > 0 else { return false }
        if fds[0].revents != 0 { shared.drainWake() }
        return socket >= 0 && fds[1].revents != 0
    }
}

extension PostgresConnection {
    var socket: Int32 { pg.map { PQsocket($0) } ?? -1 }

    /// Reads whatever arrived; false (and broken) if the connection is gone.
    func consumeInput() -> Bool {
        guard let pg, PQconsumeInput(pg) != 0, PQstatus(pg) == CONNECTION_OK else {
            broken = true
            return false
        }
        return true
    }

    func takeNotifications() -> [PostgresNotification] {
        guard let pg else { return [] }
        var out: [PostgresNotification] = []
        while let raw = PQnotifies(pg) {
            let n = raw.pointee
            out.append(PostgresNotification(channel: String(cString: n.relname),
                                            payload: n.extra.map { String(cString: $0) } ?? "",
                                            pid: n.be_pid))
            PQfreemem(raw)
        }
        return out
    }
}
