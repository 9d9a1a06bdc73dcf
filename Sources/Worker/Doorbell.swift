import Basics
/// Wakes one waiting loop, remembering why. Rings that arrive while nobody
/// waits are kept (as a set of reasons) and answered by the next wait, so a
/// NOTIFY that lands during a claim is never lost.
final class Doorbell: Sendable {
    struct Reasons: OptionSet, Sendable {
        let rawValue: Int
        /// Rows may be ready: a NOTIFY, a rescue, a reconnect.
        static let work = Reasons(rawValue: 1)
        /// A slot freed up: a send finished or a batch was written.
        static let capacity = Reasons(rawValue: 2)
        /// Shutdown began.
        static let stop = Reasons(rawValue: 4)
    }

    private struct State {
        var pending: Reasons = []
        var waiter: CheckedContinuation<Reasons, Never>?
        /// Numbers the waits, so a late timer never wakes a later wait, and
        /// a timer that fires before its wait registers still ends it.
        var generation = 0
        var expired = -1
    }

    private let state = Locked(State())

    func ring(_ reasons: Reasons) {
        let waking = state.withLock { state -> (CheckedContinuation<Reasons, Never>, Reasons)? in
            state.pending.formUnion(reasons)
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            defer { state.pending = [] }
            return (waiter, state.pending)
        }
        waking.map { $0.0.resume(returning: $0.1) }
    }

    /// The reasons rung since the last wait, waiting up to `timeout` for one;
    /// empty when the time ran out. One waiter at a time.
    func wait(timeout: Duration) async -> Reasons {
        let (ready, generation) = state.withLock { state -> (Reasons, Int) in
            defer { state.pending = [] }
            state.generation += 1
            return (state.pending, state.generation)
        }
        if !ready.isEmpty { return ready }
        let timer = Task {
            do { try await Task.sleep(for: timeout) } catch { return }
            self.expire(generation)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let immediate = state.withLock { state -> Reasons? in
                if !state.pending.isEmpty {
                    defer { state.pending = [] }
                    return state.pending
                }
                if state.expired == generation { return [] }
                state.waiter = continuation
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// The timer's ring: wakes the waiter with no reason, if it still waits.
    private func expire(_ generation: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Reasons, Never>? in
            guard state.generation == generation else { return nil }
            state.expired = generation
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: [])
    }
}
