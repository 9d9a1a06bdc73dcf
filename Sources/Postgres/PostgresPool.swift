import Basics
import Dispatch
import Foundation

/// A bounded pool of PostgreSQL connections for async (and sync) callers.
///
/// Connections open lazily, up to `size`. Each connection has its own
/// thread, where the blocking body of `withConnection` runs while the async
/// caller awaits; Swift's cooperative pool is never blocked. When all
/// connections are busy, callers queue FIFO and fail with `.poolTimeout`
/// after `acquireTimeout`.
///
/// A connection returns to the pool only idle outside a transaction (an open
/// one is rolled back, a broken one dropped), and a connection that the
/// server dropped (restart) reconnects on its next use.
public final class PostgresPool: Sendable {
    public struct Configuration: Sendable {
        public var url: String
        public var size: Int
        public var acquireTimeout: Duration
        /// Seconds, for libpq's connect_timeout (unless the URL sets one).
        public var connectTimeout: Int {
            get { session.connectTimeout }
            set { session.connectTimeout = newValue }
        }
        /// Pool mode, deadlines and keepalives of every connection.
        public var session: PostgresSessionOptions
        /// Connections that may send pipelines of `query` statements at once
        /// (PostgresPool+Statements). Fewer senders make longer pipelines:
        /// fewer round trips and thread wake-ups per statement, at the price
        /// of parallelism on the server. Default: one per processor of this
        /// machine (at least 2), within `size`.
        public var pipelineSenders: Int

        public init(url: String, size: Int = 8, acquireTimeout: Duration = .seconds(10), connectTimeout: Int = 5,
                    pipelineSenders: Int? = nil, session: PostgresSessionOptions? = nil) {
            precondition(size > 0, "pool size must be positive")
            self.url = url
            self.size = size
            self.acquireTimeout = acquireTimeout
            self.session = session ?? PostgresSessionOptions(connectTimeout: connectTimeout)
            self.pipelineSenders = min(size, max(1, pipelineSenders ?? max(2, ProcessInfo.processInfo.activeProcessorCount)))
        }
    }

    public struct Stats: Sendable, Equatable {
        public var size: Int
        /// Connections (threads) created so far and not closed.
        public var total: Int
        public var inUse: Int
        public var idle: Int
        public var waiting: Int
        /// Highest `inUse` seen since the pool was created.
        public var peakInUse: Int
    }

    public let configuration: Configuration
    private let state: Locked<PostgresPoolState<PoolWorker, Waiter>>
    /// Single statements waiting to be pipelined (PostgresPool+Statements).
    let statementQueue = Locked(StatementQueue())

    public convenience init(url: String, size: Int = 8, acquireTimeout: Duration = .seconds(10)) {
        self.init(configuration: Configuration(url: url, size: size, acquireTimeout: acquireTimeout))
    }

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.state = Locked(PostgresPoolState(size: configuration.size, acquireTimeout: configuration.acquireTimeout))
    }

    // Not waiting: the last reference may be dropped on a worker thread.
    deinit { shutdown(wait: false) }

    public var stats: Stats {
        state.withLock {
            Stats(size: configuration.size, total: $0.total, inUse: $0.inUse, idle: $0.idle.count,
                  waiting: $0.waiters.count, peakInUse: $0.peakInUse)
        }
    }

    /// Runs `body` with a connection, on that connection's thread.
    ///
    ///     let rows = try await pool.withConnection { try $0.query("SELECT 1") }
    ///
    /// Cancelling the task while it waits for a connection throws
    /// CancellationError. Each round trip of `body` has the session's query
    /// deadline; a caller that had to wait for the connection also has what is
    /// left of the acquire timeout as its budget, so no caller waits much
    /// longer than the acquire timeout in all (queueing, reconnecting and
    /// running together).
    @discardableResult
    public func withConnection<T: Sendable>(
        _ body: sending @escaping (PostgresConnection) throws -> T
    ) async throws -> T {
        let requested = ContinuousClock.now
        let deadline = Self.requestDeadline
        let worker = try await acquire(deadline: deadline)
        let budget = budget(requestedAt: requested, deadline: deadline)
        let body = UnsafeTransfer(body)
        return try await withCheckedThrowingContinuation { continuation in
            worker.submit {
                let result = Result { try body.value(try worker.slot.checkout(budget: budget)) }
                var failure: (any Error)?
                if case .failure(let error) = result { failure = error }
                self.finishJob(worker, failure: failure)
                continuation.resume(with: result)
            }
        }
    }

    /// The deadline of the request being served, for every pool call made
    /// within it: set once per request (`withRequestDeadline`) so that a
    /// request making several calls waits no longer in all than one call may.
    @TaskLocal public static var requestDeadline: ContinuousClock.Instant?

    /// Runs `body` with a deadline of `limit` (default: the acquire timeout)
    /// for every pool call it makes, queueing included.
    public func withRequestDeadline<T: Sendable>(_ limit: Duration? = nil,
                                                 _ body: () async throws -> T) async rethrows -> T {
        try await Self.$requestDeadline.withValue(ContinuousClock.now + (limit ?? configuration.acquireTimeout), operation: body)
    }

    /// The end of the budget of a caller that asked at `requestedAt` within a
    /// request that must end by `deadline`: nil when it did not wait and has
    /// no deadline; else the sooner of the two, at least half a second on
    /// (so a caller that waited long still gets one try).
    func budget(requestedAt: ContinuousClock.Instant, deadline: ContinuousClock.Instant?) -> ContinuousClock.Instant? {
        let now = ContinuousClock.now
        let waited = now - requestedAt >= .milliseconds(50)
        guard waited || deadline != nil else { return nil }
        let own = waited ? requestedAt + configuration.acquireTimeout : deadline!
        return max(min(own, deadline ?? own), now + .milliseconds(500))
    }

    /// Returns a worker after a job. A job that could not even connect means
    /// the server is unreachable: the callers queued behind it fail now with
    /// that error instead of each waiting for a connection that would fail
    /// the same way.
    func finishJob(_ worker: PoolWorker, failure: (any Error)?) {
        worker.slot.checkin()
        if let error = failure as? PostgresError, error.code == .connectionFailed {
            let waiters = state.withLock { $0.failAll() }
            for waiter in waiters { waiter.finish(.failure(error)) }
        }
        release(worker)
    }

    /// `withConnection` inside BEGIN ... COMMIT; ROLLBACK (and rethrow) when
    /// `body` throws.
    @discardableResult
    public func withTransaction<T: Sendable>(
        isolation: PostgresIsolation? = nil,
        _ body: sending @escaping (PostgresConnection) throws -> T
    ) async throws -> T {
        let body = UnsafeTransfer(body)
        return try await withConnection { connection in
            try connection.transaction(isolation: isolation) { try body.value(connection) }
        }
    }

    /// Blocking variant for threads outside Swift concurrency (CLI tools,
    /// migrations at startup). The body runs on the calling thread.
    @available(*, noasync, message: "blocks the thread; use the async withConnection")
    @discardableResult
    public func withConnectionSync<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<PoolWorker, any Error>?>(nil)
        acquire(Waiter { result in
            outcome.withLock { $0 = result }
            semaphore.signal()
        })
        semaphore.wait()
        let worker = try outcome.withLock { $0! }.get()
        defer {
            worker.slot.checkin()
            release(worker)
        }
        return try body(try worker.slot.checkout())
    }

    @available(*, noasync, message: "blocks the thread; use the async withTransaction")
    @discardableResult
    public func withTransactionSync<T>(isolation: PostgresIsolation? = nil, _ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnectionSync { connection in
            try connection.transaction(isolation: isolation) { try body(connection) }
        }
    }

    /// Fails queued and future callers with `.poolClosed` and closes idle
    /// connections before returning (so e.g. a database can be dropped or
    /// used as a template right after); busy ones close when their caller
    /// finishes.
    public func close() {
        shutdown(wait: true)
    }

    private func shutdown(wait: Bool) {
        let (waiters, idle) = state.withLock { $0.close() }
        for waiter in waiters {
            waiter.finish(.failure(PostgresError(.poolClosed, "the connection pool is closed")))
        }
        for worker in idle { worker.stop(wait: wait) }
    }

    // MARK: - Acquire / release

    private func acquire(deadline: ContinuousClock.Instant?) async throws -> PoolWorker {
        let waiter = Waiter(nil, deadline: deadline)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiter.setResume { continuation.resume(with: $0) }
                acquire(waiter)
            }
        } onCancel: {
            let removed = state.withLock { state -> Bool in
                waiter.cancelled = true
                return state.cancel(waiter)
            }
            if removed { waiter.finish(.failure(CancellationError())) }
        }
    }

    /// Hands `waiter` an idle or new worker, or queues it with a timeout.
    func acquire(_ waiter: Waiter) {
        let now = ContinuousClock.now
        let action = state.withLock { state -> PostgresPoolState<PoolWorker, Waiter>.AcquireAction? in
            if waiter.cancelled { return nil }
            return state.acquire(waiter, now: now, deadline: waiter.deadline)
        }
        switch action {
        case nil:
            waiter.finish(.failure(CancellationError()))
        case .fail(let error):
            waiter.finish(.failure(error))
        case .reuse(let worker):
            waiter.finish(.success(worker))
        case .create(let id):
            waiter.finish(.success(PoolWorker(id: id, url: configuration.url, options: configuration.session)))
        case .wait(let startSweep):
            if startSweep { scheduleSweep() }
        }
    }

    /// How often queued waiters are checked for their acquire timeout. One
    /// sweep for the whole queue, not a timer per waiter: a cancelled
    /// dispatch timer still occupies memory until its deadline, and at
    /// thousands of waits a second those add up to megabytes.
    static let sweepInterval = 0.1

    private func scheduleSweep() {
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.sweepInterval) { [weak self] in self?.sweep() }
    }

    /// Fails the waiters queued longer than the acquire timeout.
    private func sweep() {
        let now = ContinuousClock.now
        let (expired, error, more) = state.withLock { $0.expire(now: now) }
        for waiter in expired { waiter.finish(.failure(error)) }
        if more { scheduleSweep() }
    }

    /// Returns a worker: to the first waiter, else to the idle stack (LIFO,
    /// so the warmest connections are reused and extra ones stay idle).
    func release(_ worker: PoolWorker) {
        switch state.withLock({ $0.release(worker) }) {
        case .handOff(let waiter): waiter.finish(.success(worker))
        case .stop: worker.stop()
        case .idle: break
        }
    }
}

/// A caller waiting for a connection. Finished exactly once: whoever removes
/// it from the queue (or never queues it) finishes it.
final class Waiter: @unchecked Sendable {
    private let lock = NSLock()
    private var resume: (@Sendable (Result<PoolWorker, any Error>) -> Void)?
    /// Guarded by the pool's lock.
    var cancelled = false
    /// Its caller's request deadline, if it has one.
    let deadline: ContinuousClock.Instant?

    init(_ resume: (@Sendable (Result<PoolWorker, any Error>) -> Void)?, deadline: ContinuousClock.Instant? = nil) {
        self.resume = resume
        self.deadline = deadline
    }

    func setResume(_ resume: @escaping @Sendable (Result<PoolWorker, any Error>) -> Void) {
        lock.withLock { self.resume = resume }
    }

    func finish(_ result: Result<PoolWorker, any Error>) {
        let resume = lock.withLock { () -> (@Sendable (Result<PoolWorker, any Error>) -> Void)? in
            defer { self.resume = nil }
            return self.resume
        }
        resume?(result)
    }
}

