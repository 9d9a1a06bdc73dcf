/// Group commit for sends, as a pure state machine: while a group is being
/// written, arriving sends wait; when it ends, every send that waited goes
/// into the next group together. A send that arrives while nothing is being
/// written goes alone at once, so an idle server answers as fast as before.
///
/// A group never holds two sends with the same idempotency key: the second
/// waits for the next group, where the first's key row is committed and
/// answers it (same body: the same notification; another body: a conflict).
struct SendGroupState<Item: SendGroupItem> {
    enum Action {
        /// Write these now, then report `finished()`.
        case commit([Item])
        /// Nothing to do: a group is being written, or nothing waits.
        case none
    }

    /// The most sends one group writes: bounds a statement's arrays and the
    /// time the first caller of a group waits behind the rest.
    let limit: Int
    private(set) var waiting: [Item] = []
    private(set) var committing = false

    init(limit: Int) {
        precondition(limit > 0)
        self.limit = limit
    }

    mutating func submit(_ item: Item) -> Action {
        waiting.append(item)
        return committing ? .none : next()
    }

    /// The group handed out by the last `.commit` is written (or failed).
    mutating func finished() -> Action {
        committing = false
        return next()
    }

    private mutating func next() -> Action {
        guard !waiting.isEmpty else { return .none }
        var group: [Item] = []
        var later: [Item] = []
        var keys = Set<String>()
        for item in waiting {
            let keyFree = item.groupKey.map { !keys.contains($0) } ?? true
            if group.count < limit && keyFree {
                group.append(item)
                if let key = item.groupKey { keys.insert(key) }
            } else {
                later.append(item)
            }
        }
        waiting = later
        committing = true
        return .commit(group)
    }
}

/// What the state machine needs of a waiting send.
protocol SendGroupItem {
    /// Tenant and idempotency key, when the send has a key.
    var groupKey: String? { get }
}
