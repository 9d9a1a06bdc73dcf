/// Counters since the worker started, for logs now and `/metrics` later.
public struct WorkerMetrics: Sendable, Equatable {
    /// Rows taken from the queue (each claim of a row counts once).
    public var claimed = 0
    public var sent = 0
    /// Attempts that failed transiently and went back to the queue.
    public var retried = 0
    /// Notifications failed for good.
    public var failed = 0
    /// Expired leases (of any worker) this worker put back in the queue.
    public var rescued = 0
    /// Rows handed back unstarted at shutdown.
    public var released = 0
    /// Outcomes refused because the lease had passed to another worker.
    public var leaseLost = 0
    /// Sends recorded after their lease had passed to another worker
    /// (the worker was cut off from the database longer than the lease).
    public var lateOutcomes = 0
    /// Of those, the ones another attempt had sent too: delivered twice.
    public var duplicates = 0
    /// Times the LISTEN connection was found deaf (its ping never came back)
    /// and reconnected; delivery meanwhile falls back to the poll.
    public var deafListener = 0
    /// Failover: attempts moved to a channel's next fallback at once, channels
    /// skipped because their circuit was open, rows put back untried because
    /// their whole chain was open, and circuits this worker opened.
    public var failovers = 0
    public var circuitSkips = 0
    public var postponed = 0
    public var circuitsOpened = 0
    /// Notifications written by fanning out accepted bulk batches.
    public var fannedOut = 0
    /// Rows held right now: waiting, sending, or awaiting their write.
    public var inFlight = 0

    public init() {}
}
