/// Group commit for sends, as a pure state machine: while groups are being
/// written (at most `maxInFlight` at once), arriving sends wait; when one
/// ends, every send that waited goes into the next group together. A send
/// that arrives while a write slot is free goes at once, so an idle server
/// answers as fast as before. Two groups in flight let one group's commit
/// (its WAL flush) overlap the next group's statement, as PostgreSQL's own
/// group commit would for two clients.
///
/// One send per idempotency key is written at a time, its leader. A send
/// whose key a waiting or in-flight send already holds follows that leader:
/// it is not written at all but handed back when the leader's group ends, to
/// be answered from the leader's outcome (SendGroupCommitter). A client
/// retrying one key in a storm so costs one write, not one group each.
struct SendGroupState<Item: SendGroupItem> {
    enum Action {
        /// Write these now, then report `finished(_:)` with them.
        case commit([Item])
        /// Nothing to do: every write slot is busy, nothing waits, or the
        /// send follows the leader of its key.
        case none
    }

    /// What the end of a group leaves to do.
    struct Finished {
        /// The sends that followed each key of the group, by key, in arrival
        /// order: answer them from the leader's outcome or submit them again.
        var followers: [String: [Item]]
        var next: Action
    }

    /// The most sends one group writes: bounds a statement's arrays and the
    /// time the first caller of a group waits behind the rest.
    let limit: Int
    /// Groups written at once.
    let maxInFlight: Int
    private(set) var waiting: [Item] = []
    private(set) var inFlight = 0
    /// The keys of the leaders, waiting or being written.
    private var leaderKeys: Set<String> = []
    private(set) var followers: [String: [Item]] = [:]

    var committing: Bool { inFlight > 0 }

    init(limit: Int, maxInFlight: Int = 2) {
        precondition(limit > 0 && maxInFlight > 0)
        self.limit = limit
        self.maxInFlight = maxInFlight
    }

    mutating func submit(_ item: Item) -> Action {
        if let key = item.groupKey {
            guard leaderKeys.insert(key).inserted else {
                followers[key, default: []].append(item)
                return .none
            }
        }
        waiting.append(item)
        return next()
    }

    /// `group`, handed out by a `.commit`, is written (or failed).
    mutating func finished(_ group: [Item]) -> Finished {
        inFlight -= 1
        var handedBack: [String: [Item]] = [:]
        for item in group {
            guard let key = item.groupKey else { continue }
            leaderKeys.remove(key)
            if let waitingOnKey = followers.removeValue(forKey: key) { handedBack[key] = waitingOnKey }
        }
        return Finished(followers: handedBack, next: next())
    }

    private mutating func next() -> Action {
        guard inFlight < maxInFlight, !waiting.isEmpty else { return .none }
        let group = Array(waiting.prefix(limit))
        waiting.removeFirst(group.count)
        inFlight += 1
        return .commit(group)
    }
}

/// What the state machine needs of a waiting send.
protocol SendGroupItem {
    /// Tenant and idempotency key, when the send has a key.
    var groupKey: String? { get }
}
