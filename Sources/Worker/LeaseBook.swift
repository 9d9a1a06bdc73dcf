/// The rows one worker holds a lease on, from claim until their outcome is
/// written: waiting for a send slot, sending, or finished and waiting for the
/// batch write. Pure bookkeeping (no I/O, no clock), so the claim sizing,
/// the concurrency bound and shutdown's release set are unit-tested.
public struct LeaseBook<Payload: Sendable>: Sendable {
    public enum Phase: Sendable, Equatable { case waiting, sending, finishing }

    /// Sends running at once.
    public let concurrency: Int
    /// Rows per claim; also how many may wait beyond the running sends, so
    /// the next batch is on hand when a slot frees.
    public let batchSize: Int

    /// How many finished rows waiting for the batch write do not count
    /// against the room for claims: the next batch is claimed while the last
    /// one is written, so claims and writes overlap instead of taking turns.
    /// Beyond it (the database is slow to take outcomes) finished rows hold
    /// claims back, so they never pile up.
    public let finishingAllowance: Int

    private var phases: [String: Phase] = [:]
    private var queue: [(id: String, payload: Payload)] = []
    private var queueHead = 0
    public private(set) var sending = 0
    public private(set) var finishing = 0
    /// Set at shutdown: nothing more starts.
    public private(set) var isClosed = false

    public init(concurrency: Int, batchSize: Int, finishingAllowance: Int = 0) {
        precondition(concurrency > 0 && batchSize > 0 && finishingAllowance >= 0)
        self.concurrency = concurrency
        self.batchSize = batchSize
        self.finishingAllowance = finishingAllowance
    }

    /// Rows held in any phase (each has a lease to renew).
    public var held: Int { phases.count }
    public var waiting: Int { queue.count - queueHead }
    public func phase(of id: String) -> Phase? { phases[id] }
    public var heldIds: [String] { Array(phases.keys) }

    /// How many rows to claim now: none while closed or nearly full; a whole
    /// batch when idle (latency), else only once half a batch of room is free,
    /// so a busy worker claims in batches rather than a row per finished send.
    public func claimSize() -> Int {
        guard !isClosed else { return 0 }
        let room = concurrency + batchSize - (held - min(finishing, finishingAllowance))
        guard room > 0 else { return 0 }
        let wanted = min(batchSize, room)
        if held == 0 || wanted >= max(1, batchSize / 2) { return wanted }
        return 0
    }

    public mutating func add(_ items: [(id: String, payload: Payload)]) {
        for item in items where phases[item.id] == nil {
            phases[item.id] = .waiting
            queue.append(item)
        }
    }

    /// Rows to start sending now, oldest claimed first, up to the concurrency.
    public mutating func startable() -> [(id: String, payload: Payload)] {
        var started: [(id: String, payload: Payload)] = []
        while !isClosed, sending < concurrency, queueHead < queue.count {
            let item = queue[queueHead]
            queueHead += 1
            guard phases[item.id] == .waiting else { continue } // dropped meanwhile
            phases[item.id] = .sending
            sending += 1
            started.append(item)
        }
        compact()
        return started
    }

    /// The send ended; the row stays held until its outcome is written.
    public mutating func finished(_ id: String) {
        guard phases[id] == .sending else { return }
        phases[id] = .finishing
        sending -= 1
        finishing += 1
    }

    /// Outcomes written (or the rows released): the leases are gone.
    public mutating func forget(_ ids: some Sequence<String>) {
        for id in ids {
            switch phases[id] {
            case .sending?: sending -= 1
            case .finishing?: finishing -= 1
            default: break
            }
            phases[id] = nil
        }
    }

    /// The heartbeat found these no longer ours (rescued elsewhere): rows not
    /// yet started are dropped and answered; running sends finish, and their
    /// outcome write is refused by the ownership guard.
    public mutating func lost(_ ids: some Sequence<String>) -> [String] {
        var dropped: [String] = []
        for id in ids where phases[id] == .waiting {
            phases[id] = nil
            dropped.append(id)
        }
        return dropped
    }

    /// Shutdown: start nothing more; answers the rows claimed but never
    /// started, which the caller hands back to the queue.
    public mutating func close() -> [String] {
        isClosed = true
        var released: [String] = []
        while queueHead < queue.count {
            let id = queue[queueHead].id
            queueHead += 1
            if phases[id] == .waiting {
                phases[id] = nil
                released.append(id)
            }
        }
        compact()
        return released
    }

    private mutating func compact() {
        if queueHead > 64 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        } else if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        }
    }
}
