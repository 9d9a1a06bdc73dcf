import Foundation
import Postgres

/// One worker's handle on the queue: every statement the worker runs, named
/// for what it does, with the worker's id and lease bound in. The worker
/// talks to this value, never to a connection; database failures reach it
/// as `QueueError`.
///
///     let queue = store.queue(workerId: "host-1234-x9", lease: .seconds(30))
///     let rows = try await queue.claim(limit: 32)
///     let applied = try await queue.finish(outcomes)
public struct DeliveryQueue: Sendable {
    let pool: PostgresPool
    public let workerId: String
    public let lease: Duration
    /// Where LISTEN connects: a direct (or session-pooled) connection when
    /// the pool goes through a transaction pooler.
    let listenURL: String

    /// Claims up to `limit` ready rows (see `Store.claim`).
    public func claim(limit: Int) async throws -> [Store.ClaimedNotification] {
        let (workerId, lease) = (workerId, lease)
        return try await run("claiming") { try Store.claim($0, workerId: workerId, limit: limit, lease: lease) }
    }

    /// Writes a batch of outcomes; answers the ids applied (see `Store.finish`).
    public func finish(_ outcomes: [Store.QueueOutcome]) async throws -> Set<String> {
        guard !outcomes.isEmpty else { return [] }
        let workerId = workerId
        return try await run("writing outcomes") { try Store.finish($0, workerId: workerId, outcomes: outcomes) }
    }

    /// Renews the leases of `ids`; answers those still this worker's.
    public func renew(_ ids: [String]) async throws -> Set<String> {
        let (workerId, lease) = (workerId, lease)
        return try await run("renewing leases") { try Store.extendLeases($0, workerId: workerId, ids: ids, lease: lease) }
    }

    /// Re-queues expired leases of other workers (and of this one's rows it
    /// does not hold), never the rows `held()` answers. It is asked once the
    /// connection is ready, right before the statement runs: a snapshot
    /// taken before waiting for the connection could miss a row claimed
    /// meanwhile.
    public func rescueExpired(limit: Int,
                              keeping held: @escaping @Sendable () -> [String]) async throws -> [Store.RescuedNotification] {
        let workerId = workerId
        return try await run("rescuing expired leases") {
            try Store.rescueExpired($0, limit: limit, workerId: workerId, keeping: held())
        }
    }

    /// Hands back rows claimed but never started (see `Store.release`).
    public func release(_ ids: [String]) async throws -> Int {
        let workerId = workerId
        return try await run("releasing rows") { try Store.release($0, workerId: workerId, ids: ids) }
    }

    /// Fans out up to `limit` accepted bulk batches into notifications and
    /// queue rows (see `Store.fanOutBatches`); never part of a claim.
    public func fanOutBatches(limit: Int) async throws -> Store.FanOut {
        try await run("fanning out batches") { try Store.fanOutBatches($0, limit: limit) }
    }

    /// Deletes up to `limit` finished rows past retention (see `Store.deleteFinished`).
    public func deleteFinished(olderThanDays days: Int, limit: Int) async throws -> Int {
        try await run("deleting finished rows") { try Store.deleteFinished($0, olderThanDays: days, limit: limit) }
    }

    /// Settles outcomes `finish` did not apply: those an earlier try already
    /// wrote (its answer was lost with the connection) count as applied; a
    /// `sent` whose lease passed on is recorded anyway (`late`), since the
    /// message went out; the rest are discarded.
    public func settle(_ refused: [Store.QueueOutcome]) async throws -> Store.SettledOutcomes {
        guard !refused.isEmpty else { return Store.SettledOutcomes() }
        let workerId = workerId
        return try await run("settling refused outcomes") { try Store.settle($0, workerId: workerId, refused: refused) }
    }

    /// A LISTEN on the queue's channel: wakes the worker on every NOTIFY and
    /// after every reconnect (NOTIFYs may have been missed meanwhile). It pings
    /// itself through the pool, the way enqueuers' NOTIFYs travel, and calls
    /// `onDeaf` (then reconnects) when a ping does not come back.
    public func makeWakeups(onDeaf: (@Sendable (String) -> Void)? = nil) -> QueueWakeups {
        let session = pool.configuration.session
        // On the pool's own URL, LISTEN connects the way the pool does (a
        // transaction-mode pooler refuses session options): it will be found deaf.
        let mode: PostgresSessionOptions.PoolMode = listenURL == pool.configuration.url ? session.poolMode : .session
        return QueueWakeups(url: listenURL, poolMode: mode, connectTimeout: session.connectTimeout,
                            pingVia: (pool.configuration.url, session), onDeaf: onDeaf)
    }

    func run<T: Sendable>(_ operation: String,
                                  _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        do {
            return try await pool.withConnection(body)
        } catch let error as PostgresError {
            throw QueueError(error, operation: operation)
        }
    }
}

extension Store {
    /// The queue as one worker sees it.
    public func queue(workerId: String, lease: Duration, listenURL: String? = nil) -> DeliveryQueue {
        DeliveryQueue(pool: pool, workerId: workerId, lease: lease, listenURL: listenURL ?? pool.configuration.url)
    }

    /// A database error's safe message, for a row's `last_error`; nil when
    /// `error` is not the database's.
    public static func databaseErrorMessage(_ error: any Error) -> String? {
        switch error {
        case let error as PostgresError: return "database: \(error.message)"
        case let error as QueueError: return "database: \(error.message)"
        default: return nil
        }
    }
}

/// A failed queue statement.
public struct QueueError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public var description: String { rawValue }
        /// The database could not be reached, the connection broke or the
        /// query's deadline passed: a write may or may not have committed.
        public static let unavailable = Code(rawValue: "unavailable")
        /// No connection within the pool's wait: nothing was sent.
        public static let busy = Code(rawValue: "busy")
        /// The statement ran and failed (a constraint, bad data): the batch,
        /// not the database, is the problem.
        public static let rejected = Code(rawValue: "rejected")
    }

    public let code: Code
    /// What the worker was doing: "claiming", "writing outcomes", ….
    public let operation: String
    public let message: String
    public let sqlState: String?

    init(_ error: PostgresError, operation: String) {
        switch error.code {
        case .connectionFailed, .connectionLost, .timeout, .poolClosed: code = .unavailable
        case .poolTimeout: code = .busy
        default: code = .rejected
        }
        self.operation = operation
        self.message = error.message
        self.sqlState = error.sqlState
    }

    /// True when the database, not the statement, failed: retry later.
    public var isUnavailable: Bool { code != .rejected }

    public var description: String {
        "QueueError.\(code) while \(operation)" + (sqlState.map { " [\($0)]" } ?? "") + ": \(message)"
    }
}

/// The queue's NOTIFY channel, as wake-ups.
public final class QueueWakeups: Sendable {
    private let listener: PostgresListener

    init(url: String, poolMode: PostgresSessionOptions.PoolMode, connectTimeout: Int,
         pingVia: (url: String, options: PostgresSessionOptions), onDeaf: (@Sendable (String) -> Void)?) {
        listener = PostgresListener(url: url, connectTimeout: connectTimeout, poolMode: poolMode, pingVia: pingVia,
                                    onDeaf: onDeaf)
    }

    /// Pings answered, and times the listener was found deaf, since it started.
    public var pingStats: (answered: Int, deaf: Int) { listener.pingStats }

    /// Starts listening; throws `QueueError` when the first LISTEN fails (the
    /// listener keeps reconnecting in the background).
    public func start() async throws {
        do {
            try await listener.listen(Store.queueChannel)
        } catch let error as PostgresError {
            throw QueueError(error, operation: "listening")
        }
    }

    /// What a wake-up says may be waiting.
    public struct Wakeup: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Queue rows may be ready to claim.
        public static let queue = Wakeup(rawValue: 1)
        /// A bulk batch was accepted: fan it out (`DeliveryQueue.fanOutBatches`).
        public static let batches = Wakeup(rawValue: 2)
    }

    /// The NOTIFY payload of an accepted batch (Store+Batches).
    static let batchPayload = "batch"

    /// Calls `wake` for each NOTIFY or reconnect until `stop()`: a batch's
    /// NOTIFY says `.batches`, every other `.queue`, and a reconnect (NOTIFYs
    /// may have been missed) both.
    public func forEach(_ wake: @Sendable (Wakeup) -> Void) async {
        for await event in listener.notifications {
            if event.isReconnected {
                wake([.queue, .batches])
            } else {
                wake(event.payload == Self.batchPayload ? .batches : .queue)
            }
        }
    }

    public func stop() { listener.stop() }
}
