/// Group commit for sends, as a pure state machine: while groups are being
/// written (at most `maxInFlight` at once), arriving sends wait; when one
/// ends, every send that waited goes into the next group together. A send
/// that arrives while a write slot is free goes at once, so an idle server
/// answers as fast as before. Two groups in flight let one group's commit
/// (its WAL flush) overlap the next group's statement, as PostgreSQL's own
/// group commit would for two clients.
///
/// A group never holds an idempotency key that another waiting or in-flight
/// send holds: the second waits until the group with the first has ended,
/// where the first's key row is committed and answers it (same body: the
/// same notification; another body: a conflict).
struct SendGroupState<Item: SendGroupItem> {
    enum Action {
        /// Write these now, then report `finished(_:)` with them.
        case commit([Item])
        /// Nothing to do: every write slot is busy, or nothing can go yet.
        case none
    }

    /// The most sends one group writes: bounds a statement's arrays and the
    /// time the first caller of a group waits behind the rest.
    let limit: Int
    /// Groups written at once.
    let maxInFlight: Int
    private(set) var waiting: [Item] = []
    private(set) var inFlight = 0
    /// The keys of the groups being written.
    private var keysInFlight: Set<String> = []

    var committing: Bool { inFlight > 0 }

    init(limit: Int, maxInFlight: Int = 2) {
        precondition(limit > 0 && maxInFlight > 0)
        self.limit = limit
        self.maxInFlight = maxInFlight
    }

    mutating func submit(_ item: Item) -> Action {
        waiting.append(item)
        return next()
    }

    /// `group`, handed out by a `.commit`, is written (or failed).
    mutating func finished(_ group: [Item]) -> Action {
        inFlight -= 1
        for item in group { if let key = item.groupKey { keysInFlight.remove(key) } }
        return next()
    }

    private mutating func next() -> Action {
        guard inFlight < maxInFlight, !waiting.isEmpty else { return .none }
        var group: [Item] = []
        var later: [Item] = []
        var keys = keysInFlight
        for item in waiting {
            let keyFree = item.groupKey.map { !keys.contains($0) } ?? true
            if group.count < limit && keyFree {
                group.append(item)
                if let key = item.groupKey { keys.insert(key) }
            } else {
                later.append(item)
            }
        }
        guard !group.isEmpty else { return .none } // every waiting send's key is being written
        waiting = later
        keysInFlight = keys
        inFlight += 1
        return .commit(group)
    }
}

/// What the state machine needs of a waiting send.
protocol SendGroupItem {
    /// Tenant and idempotency key, when the send has a key.
    var groupKey: String? { get }
}
