import Basics
import CLibPQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The self-NOTIFY settings of a listener.
struct ListenerPing {
    /// The channel every Herald listener pings itself on; payloads carry the
    /// listener's own token, so others' pings are ignored.
    static let channel = "herald_listener_ping"
    let interval: Duration
    let timeout: Duration
    /// Where pings are sent from: another session (one a pooler may route
    /// like the application's own NOTIFYs), or nil for the listener's own.
    let via: (url: String, options: PostgresSessionOptions)?
}

/// The listener thread: owns the connection, never shares it.
final class ListenerLoop: @unchecked Sendable {
    let url: String
    let shared: ListenerShared
    let options: PostgresSessionOptions
    let minDelay: Double
    let maxDelay: Double
    let ping: ListenerPing?
    let onDeaf: (@Sendable (String) -> Void)?
    /// Unique per listener: `<pid>.<object address>`.
    private lazy var token = "\(getpid()).\(UInt(bitPattern: ObjectIdentifier(self).hashValue))"
    private var pingSequence = 0
    /// The payload of the ping in flight and when it was sent.
    private var pingInFlight: (payload: String, sentAt: ContinuousClock.Instant)?
    private var nextPingAt = ContinuousClock.now
    /// The session pings are sent from (`ping.via`), opened when first needed.
    private var pingConnection: PostgresConnection?

    init(url: String, shared: ListenerShared, options: PostgresSessionOptions, minDelay: Double, maxDelay: Double,
         ping: ListenerPing?, onDeaf: (@Sendable (String) -> Void)?) {
        self.url = url
        self.shared = shared
        self.options = options
        self.minDelay = minDelay
        self.maxDelay = maxDelay
        self.ping = ping
        self.onDeaf = onDeaf
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
                    let fresh = try PostgresConnection(url: url, options: options)
                    for channel in shared.currentChannels.sorted() {
                        try fresh.execute("LISTEN \"\(channel)\"")
                    }
                    if ping != nil { try fresh.execute("LISTEN \(ListenerPing.channel)") }
                    connection = fresh
                    shared.setConnected(true)
                    delay = minDelay
                    pingInFlight = nil
                    nextPingAt = ContinuousClock.now + (ping?.interval ?? .zero)
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
            guard connection.isConnected, checkPing(connection) else { continue }
            deliver(connection) // our own ping arrives with the answer to sending it
            if wait(socket: connection.socket, timeout: secondsUntilPingWork()) {
                if !connection.consumeInput() { continue } // broken: reconnect
                deliver(connection)
            }
        }
        connection?.close()
        pingConnection?.close()
        shared.setConnected(false)
        shared.finish()
    }

    /// Sends a ping when one is due; when the one in flight is overdue, reports
    /// the listener deaf and drops the connection (false: reconnect now).
    private func checkPing(_ connection: PostgresConnection) -> Bool {
        guard let ping else { return true }
        let now = ContinuousClock.now
        if let inFlight = pingInFlight {
            guard now - inFlight.sentAt >= ping.timeout else { return true }
            shared.countPing(answered: false)
            onDeaf?("the LISTEN connection got no notification back within \(ping.timeout) of sending one: "
                + "reconnecting (behind a transaction-mode pooler, point HERALD_LISTEN_DATABASE_URL at the database "
                + "directly or at a session-mode pool)")
            connection.close()
            return false
        }
        guard now >= nextPingAt else { return true }
        pingSequence += 1
        let payload = "\(token).\(pingSequence)"
        if !sendPing(payload, via: ping) {
            // The other session cannot reach the server: ping through our own,
            // which at least tells whether this connection still works.
            do {
                try connection.query("SELECT pg_notify($1, $2)", [ListenerPing.channel, payload])
            } catch {
                return false // the connection failed (or missed its deadline): reconnect
            }
        }
        pingInFlight = (payload, now)
        nextPingAt = now + ping.interval
        return true
    }

    /// Sends the ping from `ping.via`'s session; false when there is none or it failed.
    private func sendPing(_ payload: String, via ping: ListenerPing) -> Bool {
        guard let via = ping.via else { return false }
        do {
            if pingConnection == nil {
                var options = via.options
                options.queryTimeout = ping.timeout
                options.connectTimeout = min(options.connectTimeout, 2)
                pingConnection = try PostgresConnection(url: via.url, options: options)
            }
            try pingConnection?.reconnectIfNeeded()
            try pingConnection?.query("SELECT pg_notify($1, $2)", [ListenerPing.channel, payload])
            return true
        } catch {
            pingConnection?.close()
            pingConnection = nil
            return false
        }
    }

    /// How long poll() may sleep before a ping is due or overdue.
    private func secondsUntilPingWork() -> Double? {
        guard let ping else { return nil }
        let due = pingInFlight.map { $0.sentAt + ping.timeout } ?? nextPingAt
        return max(0.001, (due - ContinuousClock.now).seconds)
    }

    private func deliver(_ connection: PostgresConnection) {
        for notification in connection.takeNotifications() {
            if notification.channel == ListenerPing.channel {
                if notification.payload == pingInFlight?.payload {
                    pingInFlight = nil
                    shared.countPing(answered: true)
                }
                continue
            }
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
