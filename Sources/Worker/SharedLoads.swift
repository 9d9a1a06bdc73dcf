import Basics

/// Loads kept by key: one load per key, shared by every caller that asks
/// while it runs, and reused while `isFresh` accepts the stamp it was made
/// under. A failed load is forgotten, so the next caller asks again. Bounded:
/// past `limit` keys it starts over. Used for channel settings, whose
/// loading (a query, then opening sealed secrets) should happen once per
/// change, not once per message.
final class SharedLoads<Stamp: Sendable, Value: Sendable>: Sendable {
    private struct Entry: Sendable {
        let stamp: Stamp
        let task: Task<Value, any Error>
        /// The task's value once it is known: read without awaiting the task
        /// (every message asks, and awaiting even a finished task costs a hop).
        var value: Value?
    }

    private let entries = Locked<[String: Entry]>([:])
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func value(for key: String, stamp: Stamp, isFresh: (Stamp) -> Bool,
               load: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let (task, known) = entries.withLock { entries -> (Task<Value, any Error>, Value?) in
            if let entry = entries[key], isFresh(entry.stamp) { return (entry.task, entry.value) }
            let task = Task { try await load() }
            if entries.count >= limit { entries.removeAll() }
            entries[key] = Entry(stamp: stamp, task: task)
            return (task, nil)
        }
        if let known { return known }
        do {
            let value = try await task.value
            entries.withLock { entries in if entries[key]?.task == task { entries[key]?.value = value } }
            return value
        } catch {
            entries.withLock { entries in if entries[key]?.task == task { entries[key] = nil } }
            throw error
        }
    }
}
