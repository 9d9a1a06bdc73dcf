import Basics
/// The rows one worker holds a lease on, from claim until their outcome is
/// written: waiting for a send slot, sending, or finished and waiting for the
/// batch write. Pure bookkeeping (no I/O; the time is passed in), so the claim
/// sizing, the send slots, the lease margin and shutdown's release set are
/// unit-tested without a database or a sleep.
///
/// Sizing adapts to the work, so the defaults need no tuning:
/// - rows held beyond the running sends: as many as the send slots start
///   within `drainWindow` at the sends' average cost, so slow sends (SMTP,
///   HTTP) keep about a slot's worth waiting and cheap ones (in-app, no-op)
///   up to `maxInFlight` rows in flight: rows that start within milliseconds
///   cost memory, not lease risk;
/// - claims: within that room, growing (×2) while claims come back full (a
///   backlog) up to `maxClaim`, shrinking while they come back short (the
///   queue is drained), so an idle worker claims a few rows and a busy one a
///   round trip's worth.
public struct LeaseBook<Payload: Sendable>: Sendable {
    public typealias Instant = ContinuousClock.Instant
    public enum Phase: Sendable, Equatable { case waiting, sending, finishing }

    public struct Limits: Sendable, Equatable {
        /// Sends at once.
        public var concurrency: Int
        /// Rows held at once at most, in any phase (memory).
        public var maxInFlight: Int
        /// Rows per claim at most, and the least a claim shrinks to.
        public var maxClaim: Int
        public var minClaim: Int
        /// How long a claim or a renewal leases a row, and how much of it must
        /// be left for a send to start: a row whose last renewal is older than
        /// `lease - renewalMargin` waits until a renewal succeeds again, so a
        /// worker cut off from the database stops sending rows it may have lost.
        public var lease: Duration
        public var renewalMargin: Duration
        /// How soon a claimed row should start: rows waiting beyond the
        /// slots are what the slots start in this time.
        public var drainWindow: Duration

        public init(concurrency: Int, maxInFlight: Int? = nil, maxClaim: Int, minClaim: Int = 8,
                    lease: Duration = .seconds(30), renewalMargin: Duration? = nil, drainWindow: Duration = .milliseconds(50)) {
            precondition(concurrency > 0 && maxClaim > 0 && minClaim > 0 && lease > .zero)
            self.concurrency = concurrency
            self.maxInFlight = max(concurrency, maxInFlight ?? concurrency)
            self.maxClaim = maxClaim
            self.minClaim = min(minClaim, maxClaim)
            self.lease = lease
            self.renewalMargin = renewalMargin ?? lease / 3
            self.drainWindow = drainWindow
        }
    }

    private struct Entry {
        var phase: Phase
        /// When the claim or renewal that leased it was sent (its lease runs
        /// from no earlier than that).
        var leasedAt: Instant
    }

    public let limits: Limits
    private var entries: [String: Entry] = [:]
    private var queue: [(id: String, payload: Payload)] = []
    private var queueHead = 0
    public private(set) var sending = 0
    public private(set) var finishing = 0
    /// Set at shutdown: nothing more starts.
    public private(set) var isClosed = false
    /// Rows the next claim asks for when the slots have room for them.
    public private(set) var claimTarget: Int
    /// Moving average of the send times (nil until one ended).
    public private(set) var sendCost: Duration?

    public init(limits: Limits) {
        self.limits = limits
        self.claimTarget = min(limits.maxClaim, max(limits.minClaim, min(32, limits.concurrency)))
    }

    /// Rows held in any phase (each has a lease to renew).
    public var held: Int { entries.count }
    public var waiting: Int { queue.count - queueHead }
    public func phase(of id: String) -> Phase? { entries[id]?.phase }
    public var heldIds: [String] { Array(entries.keys) }

    /// Rows that may wait for a slot: what the slots start within the drain
    /// window at the average send time; a slot's worth until a send ended.
    public var waitingAllowance: Int {
        let slots = limits.concurrency
        let most = max(slots, limits.maxInFlight - slots)
        guard let cost = sendCost else { return min(slots, most) }
        let started = Double(slots) * limits.drainWindow.seconds / max(cost, .nanoseconds(100)).seconds
        return min(most, max(slots, Int(min(Double(most), started))))
    }

    /// Finished rows waiting for their write that do not count against the
    /// room for claims, so the next claim overlaps the last batch's write;
    /// beyond it (the database is slow to take outcomes) they hold claims back.
    public var finishingAllowance: Int { min(claimTarget, 1000) }

    /// How many rows to claim now: none while closed, nearly full, or while
    /// the oldest waiting row's lease is too old to start (a renewal must
    /// succeed first); up to `claimTarget` within the free slots plus one
    /// claim's worth waiting; at least half a target once busy, so a busy
    /// worker claims in batches rather than a row per finished send.
    public func claimSize(now: Instant) -> Int {
        guard !isClosed, !isStale(now: now) else { return 0 }
        let allowance = waitingAllowance
        let target = min(claimTarget, allowance)
        let room = min(limits.maxInFlight, limits.concurrency + allowance) - (held - min(finishing, finishingAllowance))
        guard room > 0 else { return 0 }
        let wanted = min(target, room)
        if held == 0 || wanted >= max(1, target / 2) { return wanted }
        return 0
    }

    /// A claim asked for `requested` rows and got `items`, leased from
    /// `leasedAt` (when the claim was sent). Full claims grow the next one,
    /// short ones shrink it.
    public mutating func claimed(requested: Int, _ items: [(id: String, payload: Payload)], leasedAt: Instant) {
        if requested <= 0 {
            // Nothing was asked: nothing learned of the backlog.
        } else if items.count >= requested {
            claimTarget = min(limits.maxClaim, max(claimTarget, requested) * 2)
        } else {
            claimTarget = max(limits.minClaim, max(items.count * 2, claimTarget / 2))
        }
        for item in items where entries[item.id] == nil {
            entries[item.id] = Entry(phase: .waiting, leasedAt: leasedAt)
            queue.append(item)
        }
    }

    /// True when the oldest waiting row's lease is older than `lease - renewalMargin`.
    public func isStale(now: Instant) -> Bool {
        guard let head = firstWaiting, let entry = entries[head] else { return false }
        return mayStart(entry, now: now) == false
    }

    private var firstWaiting: String? {
        var index = queueHead
        while index < queue.count {
            if entries[queue[index].id]?.phase == .waiting { return queue[index].id }
            index += 1
        }
        return nil
    }

    private func mayStart(_ entry: Entry, now: Instant) -> Bool {
        now < entry.leasedAt + limits.lease - limits.renewalMargin
    }

    /// Rows to start sending now, oldest claimed first, up to the send slots.
    /// Stops at a row whose lease is too old to start: rows behind it wait
    /// with it until a renewal answers for them all.
    public mutating func startable(now: Instant) -> [(id: String, payload: Payload)] {
        var started: [(id: String, payload: Payload)] = []
        while !isClosed, sending < limits.concurrency, queueHead < queue.count {
            let item = queue[queueHead]
            guard let entry = entries[item.id], entry.phase == .waiting else { // dropped meanwhile
                queueHead += 1
                continue
            }
            guard mayStart(entry, now: now) else { break }
            queueHead += 1
            entries[item.id]?.phase = .sending
            sending += 1
            started.append(item)
        }
        compact()
        return started
    }

    /// The send ended after `took`; the row stays held until its outcome is written.
    public mutating func finished(_ id: String, took: Duration) {
        guard entries[id]?.phase == .sending else { return }
        entries[id]?.phase = .finishing
        sending -= 1
        finishing += 1
        // An average over about the last 16 sends: one slow send does not
        // shrink the room, a run of them does.
        sendCost = sendCost.map { $0 + (took - $0) / 16 } ?? took
    }

    /// A renewal sent at `at` extended the leases of `ids`.
    public mutating func renewed(_ ids: some Sequence<String>, at: Instant) {
        for id in ids {
            guard let entry = entries[id], entry.leasedAt < at else { continue }
            entries[id]?.leasedAt = at
        }
    }

    /// Outcomes written (or the rows released): the leases are gone.
    public mutating func forget(_ ids: some Sequence<String>) {
        for id in ids {
            switch entries[id]?.phase {
            case .sending?: sending -= 1
            case .finishing?: finishing -= 1
            default: break
            }
            entries[id] = nil
        }
    }

    /// The heartbeat found these no longer ours (rescued elsewhere): rows not
    /// yet started are dropped and answered; running sends finish, and their
    /// outcome is recorded late (see `DeliveryQueue.settle`).
    public mutating func lost(_ ids: some Sequence<String>) -> [String] {
        var dropped: [String] = []
        for id in ids where entries[id]?.phase == .waiting {
            entries[id] = nil
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
            if entries[id]?.phase == .waiting {
                entries[id] = nil
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
