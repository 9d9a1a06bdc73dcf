import Basics
import Foundation

/// Keeps SMTP sessions open between messages and caps how many each server
/// gets: at most `maxConnectionsPerKey` per `SMTPConfiguration.PoolKey`
/// (host, port, security, user and password), so a
/// burst of notifications reuses a couple of authenticated sessions instead
/// of opening one per message (which relays throttle and which costs a TLS
/// handshake and AUTH each time). Sessions idle for `idleTimeout` are closed.
///
/// `send` is async and does its blocking I/O through `BlockingIO`, off the
/// cooperative pool. Sends beyond the cap wait (without holding a thread)
/// for a session to come back; that wait ignores task cancellation, and a
/// send already on the wire runs to its configured timeouts.
public final class SMTPConnectionPool: Sendable {
    public let maxConnectionsPerKey: Int
    public let idleTimeout: Duration

    private let lock = NSLock()
    nonisolated(unsafe) private var entries: [SMTPConfiguration.PoolKey: Entry] = [:]
    nonisolated(unsafe) private var isShutDown = false
    /// Idle checks and the QUITs of expired sessions run here.
    private let reaper = DispatchQueue(label: "herald.delivery.smtp-pool-reaper")

    private struct Idle {
        let connection: SMTPConnection
        let since: ContinuousClock.Instant
    }

    /// What a send may do once it has a slot.
    private enum Lease: Sendable {
        case reuse(SMTPConnection)
        case open
    }

    private struct Entry {
        var idle: [Idle] = []
        var leased = 0
        var waiters: [CheckedContinuation<Lease, any Error>] = []
    }

    public init(maxConnectionsPerKey: Int = 2, idleTimeout: Duration = .seconds(30)) {
        precondition(maxConnectionsPerKey > 0, "maxConnectionsPerKey must be positive")
        self.maxConnectionsPerKey = maxConnectionsPerKey
        self.idleTimeout = idleTimeout
    }

    /// Validates and renders the message (so a bad one never takes a slot or
    /// a connection), then sends it on a pooled session. A pooled session
    /// that died while idle is noticed by its RSET and replaced by a new one
    /// before any part of the message is sent.
    public func send(_ message: EmailMessage, via configuration: SMTPConfiguration) async throws -> SMTPSendResult {
        let data = try message.render()
        let sender = message.from.address
        let recipients = message.envelopeRecipients
        let key = configuration.poolKey
        let lease = try await acquire(key)
        let (connection, result) = try await BlockingIO.run { () -> (SMTPConnection?, Result<SMTPSendResult, any Error>) in
            var connection: SMTPConnection?
            do {
                if case .reuse(let pooled) = lease {
                    do {
                        try pooled.reset()
                        connection = pooled
                    } catch {
                        pooled.close()
                    }
                }
                if connection == nil { connection = try SMTPConnection.open(configuration) }
                return (connection, .success(try connection!.send(from: sender, to: recipients, data: data)))
            } catch {
                return (connection, .failure(error))
            }
        }
        release(key, connection)
        return try result.get()
    }

    /// Open sessions for `key`: idle ones and ones lent to a send right now.
    public func connectionCount(for key: SMTPConfiguration.PoolKey) -> (idle: Int, inUse: Int) {
        lock.withLock { (entries[key]?.idle.count ?? 0, entries[key]?.leased ?? 0) }
    }

    /// Closes idle sessions (with QUIT), fails waiting sends, and makes
    /// further sends fail; sessions in use are closed when they come back.
    public func shutdown() async {
        let (idle, waiters) = lock.withLock { () -> ([SMTPConnection], [CheckedContinuation<Lease, any Error>]) in
            isShutDown = true
            let idle = entries.values.flatMap { $0.idle.map(\.connection) }
            let waiters = entries.values.flatMap(\.waiters)
            for key in entries.keys {
                entries[key]!.idle.removeAll()
                entries[key]!.waiters.removeAll()
            }
            return (idle, waiters)
        }
        for waiter in waiters { waiter.resume(throwing: Self.shutDownError) }
        _ = try? await BlockingIO.run { idle.forEach { $0.close() } }
    }

    private static var shutDownError: DeliveryError { DeliveryError(.transient, "SMTP connection pool is shut down") }

    private func acquire(_ key: SMTPConfiguration.PoolKey) async throws -> Lease {
        try await withCheckedThrowingContinuation { continuation in
            let lease: Result<Lease, any Error>? = lock.withLock {
                if isShutDown { return .failure(Self.shutDownError) }
                var entry = entries[key, default: Entry()]
                defer { entries[key] = entry }
                if let idle = entry.idle.popLast() {  // most recent first: older ones may expire
                    entry.leased += 1
                    return .success(.reuse(idle.connection))
                }
                if entry.leased + entry.idle.count < maxConnectionsPerKey {
                    entry.leased += 1
                    return .success(.open)
                }
                entry.waiters.append(continuation)
                return nil
            }
            if let lease { continuation.resume(with: lease) }
        }
    }

    /// Returns a slot: a usable session goes to the next waiter or to the
    /// idle list; without one, the slot itself passes to a waiter.
    private func release(_ key: SMTPConfiguration.PoolKey, _ connection: SMTPConnection?) {
        let usable = connection.flatMap { $0.isUsable ? $0 : nil }
        let (waiter, lease, toClose): (CheckedContinuation<Lease, any Error>?, Lease, SMTPConnection?) = lock.withLock {
            var entry = entries[key]!
            defer { entries[key] = entry }
            if isShutDown {
                entry.leased -= 1
                return (nil, .open, usable)
            }
            if !entry.waiters.isEmpty {
                return (entry.waiters.removeFirst(), usable.map { .reuse($0) } ?? .open, nil)
            }
            entry.leased -= 1
            if let usable { entry.idle.append(Idle(connection: usable, since: .now)) }
            return (nil, .open, nil)
        }
        if let waiter {
            waiter.resume(returning: lease)
        } else if let toClose {
            reaper.async { toClose.close() }
        } else if usable != nil {
            reaper.asyncAfter(deadline: .now() + idleTimeout.dispatchInterval) { [weak self] in self?.reap(key) }
        }
    }

    /// Closes the sessions of `key` that have been idle for `idleTimeout`.
    private func reap(_ key: SMTPConfiguration.PoolKey) {
        let expired: [SMTPConnection] = lock.withLock {
            guard var entry = entries[key] else { return [] }
            let cutoff = ContinuousClock.now - idleTimeout
            let expired = entry.idle.filter { $0.since <= cutoff }.map(\.connection)
            entry.idle.removeAll { $0.since <= cutoff }
            entries[key] = entry.idle.isEmpty && entry.leased == 0 && entry.waiters.isEmpty ? nil : entry
            return expired
        }
        expired.forEach { $0.close() }
    }
}
