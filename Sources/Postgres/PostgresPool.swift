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
    private let state: Locked<State>
    /// Single statements waiting to be pipelined (PostgresPool+Statements).
    let statementQueue = Locked(StatementQueue())

    public convenience init(url: String, size: Int = 8, acquireTimeout: Duration = .seconds(10)) {
        self.init(configuration: Configuration(url: url, size: size, acquireTimeout: acquireTimeout))
    }

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.state = Locked(State())
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
    /// CancellationError; once `body` runs it is not interrupted (no
    /// PQcancel), so keep bodies short or set `statement_timeout`.
    @discardableResult
    public func withConnection<T: Sendable>(
        _ body: sending @escaping (PostgresConnection) throws -> T
    ) async throws -> T {
        let worker = try await acquire()
        let body = UnsafeTransfer(body)
        return try await withCheckedThrowingContinuation { continuation in
            worker.submit {
                let result = Result { try body.value(try worker.slot.checkout()) }
                worker.slot.checkin()
                self.release(worker)
                continuation.resume(with: result)
            }
        }
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
        let (waiters, idle) = state.withLock { state -> ([Waiter], [PoolWorker]) in
            state.closed = true
            let waiters = state.waiters
            let idle = state.idle
            state.waiters = []
            state.idle = []
            state.total -= idle.count
            return (waiters, idle)
        }
        for waiter in waiters {
            waiter.finish(.failure(PostgresError(.poolClosed, "the connection pool is closed")))
        }
        for worker in idle { worker.stop(wait: wait) }
    }

    // MARK: - Acquire / release

    private struct State {
        var idle: [PoolWorker] = []
        var waiters: [Waiter] = []
        var total = 0
        var inUse = 0
        var peakInUse = 0
        var nextWorkerID = 0
        var closed = false
        /// Whether a sweep for expired waiters is scheduled.
        var sweeping = false

        mutating func markInUse() {
            inUse += 1
            peakInUse = max(peakInUse, inUse)
        }
    }

    private func acquire() async throws -> PoolWorker {
        let waiter = Waiter(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiter.setResume { continuation.resume(with: $0) }
                acquire(waiter)
            }
        } onCancel: {
            let removed = state.withLock { state -> Bool in
                waiter.cancelled = true
                guard let index = state.waiters.firstIndex(where: { $0 === waiter }) else { return false }
                state.waiters.remove(at: index)
                return true
            }
            if removed { waiter.finish(.failure(CancellationError())) }
        }
    }

    /// Hands `waiter` an idle or new worker, or queues it with a timeout.
    func acquire(_ waiter: Waiter) {
        enum Decision { case fail(any Error), reuse(PoolWorker), create(Int), wait }
        let decision = state.withLock { state -> Decision in
            if state.closed { return .fail(PostgresError(.poolClosed, "the connection pool is closed")) }
            if waiter.cancelled { return .fail(CancellationError()) }
            if let worker = state.idle.popLast() {
                state.markInUse()
                return .reuse(worker)
            }
            if state.total < configuration.size {
                state.total += 1
                state.nextWorkerID += 1
                state.markInUse()
                return .create(state.nextWorkerID)
            }
            state.waiters.append(waiter)
            return .wait
        }
        switch decision {
        case .fail(let error):
            waiter.finish(.failure(error))
        case .reuse(let worker):
            waiter.finish(.success(worker))
        case .create(let id):
            waiter.finish(.success(PoolWorker(id: id, url: configuration.url, options: configuration.session)))
        case .wait:
            scheduleSweep()
        }
    }

    /// How often queued waiters are checked for their acquire timeout. One
    /// sweep for the whole queue, not a timer per waiter: a cancelled
    /// dispatch timer still occupies memory until its deadline, and at
    /// thousands of waits a second those add up to megabytes.
    static let sweepInterval = 0.1

    private func scheduleSweep() {
        let start = state.withLock { state -> Bool in
            guard !state.sweeping else { return false }
            state.sweeping = true
            return true
        }
        guard start else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.sweepInterval) { [weak self] in self?.sweep() }
    }

    /// Fails the waiters queued longer than the acquire timeout. The queue is
    /// FIFO with one timeout, so the expired ones are at its front.
    private func sweep() {
        let now = ContinuousClock.now
        let (expired, again, message) = state.withLock { state -> ([Waiter], Bool, String) in
            var expired: [Waiter] = []
            while let first = state.waiters.first, now - first.queuedAt >= configuration.acquireTimeout {
                expired.append(state.waiters.removeFirst())
            }
            state.sweeping = !state.waiters.isEmpty
            return (expired, state.sweeping, "no connection available within \(configuration.acquireTimeout) "
                + "(pool size \(configuration.size), \(state.inUse) in use, \(state.waiters.count) still waiting)")
        }
        for waiter in expired { waiter.finish(.failure(PostgresError(.poolTimeout, message))) }
        if again {
            DispatchQueue.global().asyncAfter(deadline: .now() + Self.sweepInterval) { [weak self] in self?.sweep() }
        }
    }

    /// Returns a worker: to the first waiter, else to the idle stack (LIFO,
    /// so the warmest connections are reused and extra ones stay idle).
    func release(_ worker: PoolWorker) {
        enum Next { case handOff(Waiter), stop, idle }
        let next = state.withLock { state -> Next in
            if state.closed {
                state.inUse -= 1
                state.total -= 1
                return .stop
            }
            if !state.waiters.isEmpty { return .handOff(state.waiters.removeFirst()) }
            state.inUse -= 1
            state.idle.append(worker)
            return .idle
        }
        switch next {
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
    /// When it joined the queue, for the acquire timeout.
    let queuedAt = ContinuousClock.now
    /// Guarded by the pool's lock.
    var cancelled = false

    init(_ resume: (@Sendable (Result<PoolWorker, any Error>) -> Void)?) {
        self.resume = resume
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

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
