import Basics
import Foundation
import Logging
import Store
import Synchronization

/// This worker's circuit breakers, one per channel that ever failed, and the
/// writer of their changes to `channel_circuits` (for the API and /metrics).
/// A channel that never failed has no entry, and while no channel has one
/// (nearly always) a send's `admit` and `succeeded` cost one atomic load:
/// no lock, no clock read.
final class CircuitBoard: Sendable {
    private struct Entry {
        var breaker: CircuitBreaker
        let tenantId: String
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Changes not yet written, the newest per channel.
        var pending: [String: Store.CircuitRecord] = [:]
        var writing = false
    }

    private let settings: CircuitBreaker.Settings
    private let queue: DeliveryQueue
    private let logger: Logger
    private let state = Locked(State())
    /// `state.entries.count`, kept beside it for the lock-free fast path; it
    /// only changes under the lock.
    private let tracked = Atomic<Int>(0)

    init(settings: CircuitBreaker.Settings, queue: DeliveryQueue, logger: Logger) {
        self.settings = settings
        self.queue = queue
        self.logger = logger
    }

    /// Whether no channel has a breaker entry: every send goes as it is.
    var quiet: Bool { tracked.load(ordering: .acquiring) == 0 }

    func admit(_ channelId: String, now: ContinuousClock.Instant? = nil) -> CircuitBreaker.Admission {
        if quiet { return .send }
        let (admission, record) = state.withLock { state -> (CircuitBreaker.Admission, Store.CircuitRecord?) in
            guard var entry = state.entries[channelId] else { return (.send, nil) }
            let now = now ?? .now
            let admission = entry.breaker.admit(now: now)
            state.entries[channelId] = entry
            // A probe going out is a change to show (half_open), like opening and closing.
            return (admission, admission == .probe ? Self.record(channelId, entry, now: now) : nil)
        }
        if let record { enqueue(record) }
        return admission
    }

    /// Whether sends skip the channel right now, without taking a probe.
    func isOpen(_ channelId: String, now: ContinuousClock.Instant? = nil) -> Bool {
        if quiet { return false }
        return state.withLock { state in
            guard var breaker = state.entries[channelId]?.breaker else { return false }
            if case .skip = breaker.admit(now: now ?? .now) { return true }
            return false
        }
    }

    /// The provider answered.
    func succeeded(_ channelId: String, now: ContinuousClock.Instant? = nil) {
        if quiet { return }
        let record = state.withLock { state -> Store.CircuitRecord? in
            guard var entry = state.entries.removeValue(forKey: channelId) else { return nil }
            tracked.store(state.entries.count, ordering: .releasing)
            // Closed and clean now: forgotten, so the next send is the cheap kind.
            return entry.breaker.succeeded() ? Self.record(channelId, entry, now: now ?? .now) : nil
        }
        if let record { enqueue(record) }
    }

    /// A send failed in a way that points at the provider; answers whether
    /// this opened the circuit.
    @discardableResult
    func failed(_ channelId: String, tenantId: String, error: String, now: ContinuousClock.Instant = .now) -> Bool {
        let record = state.withLock { state -> Store.CircuitRecord? in
            var entry = state.entries[channelId] ?? Entry(breaker: CircuitBreaker(settings: settings), tenantId: tenantId)
            let changed = entry.breaker.failed(now: now, error: error)
            state.entries[channelId] = entry
            tracked.store(state.entries.count, ordering: .releasing)
            return changed ? Self.record(channelId, entry, now: now) : nil
        }
        guard let record else { return false }
        logger.warning("circuit opened: sends skip the channel until its probe",
                       ("channel", .string(channelId)), ("failures", .int(record.failures)), ("error", .string(error)))
        enqueue(record)
        return true
    }

    private static func record(_ channelId: String, _ entry: Entry, now: ContinuousClock.Instant) -> Store.CircuitRecord {
        let breaker = entry.breaker
        func date(_ instant: ContinuousClock.Instant?) -> Date? {
            instant.map { Date(timeIntervalSinceNow: ($0 - now).seconds) }
        }
        return Store.CircuitRecord(channelId: channelId, tenantId: entry.tenantId, state: breaker.state.rawValue,
                                   failures: breaker.failures, lastError: breaker.lastError,
                                   openedAt: date(breaker.openedAt), retryAt: date(breaker.retryAt))
    }

    /// Changes are written by one task at a time, newest per channel, so a
    /// quick open-then-close is never written in the wrong order.
    private func enqueue(_ record: Store.CircuitRecord) {
        let start = state.withLock { state -> Bool in
            state.pending[record.channelId] = record
            defer { state.writing = true }
            return !state.writing
        }
        if start { Task { await self.writePending() } }
    }

    private func writePending() async {
        var failures = 0
        while true {
            let records = state.withLock { state -> [Store.CircuitRecord] in
                defer { state.pending = [:] }
                if state.pending.isEmpty { state.writing = false }
                return Array(state.pending.values)
            }
            if records.isEmpty { return }
            do {
                try await queue.recordCircuits(records)
                failures = 0
            } catch {
                failures += 1
                // Newer changes win over the ones that could not be written.
                state.withLock { state in
                    for record in records where state.pending[record.channelId] == nil { state.pending[record.channelId] = record }
                }
                if failures == 1 {
                    logger.warning("cannot record circuit changes: retrying", ("error", .string("\(error)")))
                }
                if failures >= 10 {
                    state.withLock { state in state.pending = [:]; state.writing = false }
                    return
                }
                try? await Task.sleep(for: .milliseconds(min(2000, 100 << failures)))
            }
        }
    }
}
