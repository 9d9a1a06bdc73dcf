/// The pool's bookkeeping as a pure state machine: every event (acquire,
/// release, timeout sweep, cancel, close) is a mutating call that says what
/// to do, and the pool does it outside its lock. Time comes in as an argument,
/// so the acquire timeout is tested without sleeping (PoolStateTests).
///
/// Generic over the worker and waiter types only so tests can use plain values.
struct PostgresPoolState<Worker, Waiter: AnyObject> {
    let size: Int
    let acquireTimeout: Duration

    private(set) var idle: [Worker] = []
    /// FIFO, with the time each waiter gives up: the acquire timeout after it
    /// joined, or its caller's own deadline if that comes sooner.
    private(set) var waiters: [(waiter: Waiter, expiresAt: ContinuousClock.Instant)] = []
    private(set) var total = 0
    private(set) var inUse = 0
    private(set) var peakInUse = 0
    private(set) var closed = false
    /// Whether a timeout sweep is scheduled (one for the whole queue).
    private(set) var sweeping = false
    private var nextWorkerID = 0

    init(size: Int, acquireTimeout: Duration) {
        self.size = size
        self.acquireTimeout = acquireTimeout
    }

    enum AcquireAction {
        case fail(PostgresError)
        /// Hand this idle worker over.
        case reuse(Worker)
        /// Start a new worker with this id and hand it over.
        case create(id: Int)
        /// Queued; `startSweep`: no timeout sweep is scheduled yet, schedule one.
        case wait(startSweep: Bool)
    }

    mutating func acquire(_ waiter: Waiter, now: ContinuousClock.Instant,
                          deadline: ContinuousClock.Instant? = nil) -> AcquireAction {
        if closed { return .fail(PostgresError(.poolClosed, "the connection pool is closed")) }
        if let worker = idle.popLast() {
            markInUse()
            return .reuse(worker)
        }
        if total < size {
            total += 1
            nextWorkerID += 1
            markInUse()
            return .create(id: nextWorkerID)
        }
        waiters.append((waiter, min(now + acquireTimeout, deadline ?? now + acquireTimeout)))
        defer { sweeping = true }
        return .wait(startSweep: !sweeping)
    }

    enum ReleaseAction {
        /// Give the worker to this waiter (it stays in use).
        case handOff(Waiter)
        /// The pool is closed: stop the worker.
        case stop
        /// It went back to the idle stack.
        case idle
    }

    /// A worker comes back: to the first waiter, else to the idle stack (LIFO,
    /// so the warmest connections are reused and extra ones stay idle).
    mutating func release(_ worker: Worker) -> ReleaseAction {
        if closed {
            inUse -= 1
            total -= 1
            return .stop
        }
        if !waiters.isEmpty { return .handOff(waiters.removeFirst().waiter) }
        inUse -= 1
        idle.append(worker)
        return .idle
    }

    /// Waiters whose time is up, removed (queued for the acquire timeout, or
    /// past their caller's deadline), and the error to fail
    /// them with; `more` says whether others still wait (sweep again; else
    /// the next waiter to queue schedules a sweep).
    mutating func expire(now: ContinuousClock.Instant) -> (expired: [Waiter], error: PostgresError, more: Bool) {
        let expired = waiters.filter { $0.expiresAt <= now }.map(\.waiter)
        if !expired.isEmpty { waiters.removeAll { $0.expiresAt <= now } }
        sweeping = !waiters.isEmpty
        let error = PostgresError(.poolTimeout, "no connection available within \(acquireTimeout) "
            + "(pool size \(size), \(inUse) in use, \(waiters.count) still waiting)")
        return (expired, error, !waiters.isEmpty)
    }

    /// Removes a waiter that gave up (task cancelled); false if it was no
    /// longer queued (it was handed a worker or failed already).
    mutating func cancel(_ waiter: Waiter) -> Bool {
        guard let index = waiters.firstIndex(where: { $0.waiter === waiter }) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// Removes every queued waiter, to fail them (the server is unreachable).
    mutating func failAll() -> [Waiter] {
        defer { waiters = [] }
        return waiters.map(\.waiter)
    }

    /// Closes the pool: the waiters to fail and the idle workers to stop.
    mutating func close() -> (waiters: [Waiter], idle: [Worker]) {
        closed = true
        let queued = waiters.map(\.waiter)
        let stopping = idle
        waiters = []
        idle = []
        total -= stopping.count
        return (queued, stopping)
    }

    private mutating func markInUse() {
        inUse += 1
        peakInUse = max(peakInUse, inUse)
    }
}
