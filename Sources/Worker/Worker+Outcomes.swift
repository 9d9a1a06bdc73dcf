import Basics
import Logging
import Store

extension Worker {
    /// Outcomes per write: one statement updates the rows and inserts their
    /// attempts, so a busy worker pays one round trip per batch, not per send.
    static let writeBatch = 500

    /// Writes running at once: PostgreSQL updates the rows of one batch on
    /// one core, so a second writer lets a busy queue use a second core.
    static let writers = 2

    /// Writes outcomes as they arrive. While the writes run the next batch
    /// collects, so batches grow with load and stay single rows when idle.
    func flushLoop() async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let batch = state.withLock { state -> [Store.QueueOutcome]? in
                    guard state.activeWrites < Self.writers, !state.outcomes.isEmpty else { return nil }
                    state.activeWrites += 1
                    return Self.take(from: &state)
                }
                guard let batch else {
                    _ = await flushBell.wait(timeout: .seconds(1))
                    continue
                }
                group.addTask {
                    await self.writeRetrying(batch)
                    self.state.withLock { $0.activeWrites -= 1 }
                    self.flushBell.ring(.capacity)
                }
            }
        }
    }

    /// One batch until it is written; on a failure it goes back to the queue
    /// of outcomes (for whichever writer is next) after a pause.
    private func writeRetrying(_ batch: [Store.QueueOutcome]) async {
        do {
            try await write(batch)
            let recovered = state.withLock { state -> Int in
                defer { state.writeFailures = 0 }
                return state.writeFailures
            }
            if recovered > 0 {
                logger.info("database available again", ("while", "writing outcomes"), ("failedTries", .int(recovered)))
            }
        } catch is CancellationError {
            // Shutdown cancelled the write while it waited for a connection:
            // nothing was written, and the shutdown's last flush writes it.
            putBack(batch)
        } catch {
            putBack(batch)
            let failures = state.withLock { state -> Int in
                state.writeFailures += 1
                return state.writeFailures
            }
            if failures == 1 {
                logger.warning("database unavailable: retrying", ("while", "writing outcomes"), ("error", .string("\(error)")))
            }
            try? await Task.sleep(for: .milliseconds(min(2000, 100 << min(failures, 5))))
        }
    }

    /// At shutdown, after the sends drained: write what is left, retrying a
    /// database outage for a few seconds before leaving it to the leases.
    func flushRemaining() async {
        var outage = OutageLog(what: "writing the last outcomes")
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let batch = takeOutcomes()
            if batch.isEmpty { return }
            do {
                try await write(batch)
            } catch {
                putBack(batch)
                outage.failed(error, logger)
                try? await Task.sleep(for: outage.retryDelay)
            }
        }
        let left = state.withLock { $0.outcomes.count }
        if left > 0 {
            logger.warning("outcomes not written at shutdown: those rows are sent again after their leases expire",
                           ("count", .int(left)))
        }
    }

    private func takeOutcomes() -> [Store.QueueOutcome] {
        state.withLock { Self.take(from: &$0) }
    }

    private static func take(from state: inout WorkerState) -> [Store.QueueOutcome] {
        // Usually all of them: the array moves out whole, without copying
        // (and later releasing) each outcome's strings.
        if state.outcomes.count <= writeBatch {
            defer { state.outcomes = [] }
            return state.outcomes
        }
        let count = min(state.outcomes.count, writeBatch)
        defer { state.outcomes.removeFirst(count) }
        return Array(state.outcomes.prefix(count))
    }

    private func putBack(_ batch: [Store.QueueOutcome]) {
        state.withLock { $0.outcomes.insert(contentsOf: batch, at: 0) }
    }

    /// Writes one batch. A statement error that is not the connection (a bad
    /// row) is retried row by row, so one row cannot hold up the others; a
    /// row that still fails is left to its lease and logged. Outcomes the
    /// write refused are settled before anything is said of them: written
    /// by an earlier try, or a send recorded late (`DeliveryQueue.settle`).
    private func write(_ batch: [Store.QueueOutcome]) async throws {
        var batch = batch
        if batch.contains(where: { $0.kind == .postponed }) {
            // Untried rows (their chain's circuits open) go back by a statement of their own.
            let postponed = batch.filter { $0.kind == .postponed }
            recordWritten(postponed, applied: try await queue.postpone(postponed), settled: Store.SettledOutcomes())
            batch.removeAll { $0.kind == .postponed }
            if batch.isEmpty { return }
        }
        var applied: Set<String>
        do {
            applied = try await queue.finish(batch)
        } catch let error as QueueError where error.code == .rejected {
            // Row by row, so one row cannot hold up the others. A row still
            // refused is settled below like a lost lease: the usual cause is
            // the rescue's record of this attempt (23505), when the row was
            // rescued and claimed again by this worker while it was sending.
            applied = []
            for outcome in batch {
                do {
                    applied.formUnion(try await queue.finish([outcome]))
                } catch let error as QueueError where error.code == .rejected {
                    if error.sqlState != "23505" {
                        logger.error("cannot record an outcome", ("notification", .string(outcome.id)),
                                     ("error", .string(error.message)))
                    }
                }
            }
        }
        let refused = batch.filter { !applied.contains($0.id) }
        let settled = try await queue.settle(refused)
        applied.formUnion(settled.alreadyWritten)
        recordWritten(batch, applied: applied, settled: settled)
        // A failover's next attempt is due at once: claim it now, not at the next poll.
        if batch.contains(where: { $0.kind == .retry && $0.retryDelay == .zero && applied.contains($0.id) }) {
            claimBell.ring(.work)
        }
    }

    private func recordWritten(_ batch: [Store.QueueOutcome], applied: Set<String>, settled: Store.SettledOutcomes) {
        state.withLock { state in
            state.book.forget(batch.map(\.id))
            for outcome in batch where applied.contains(outcome.id) || settled.late.contains(outcome.id) {
                switch outcome.kind {
                case .sent: state.metrics.sent += 1
                case .retry: state.metrics.retried += 1
                case .failed: state.metrics.failed += 1
                case .postponed: state.metrics.postponed += 1
                }
            }
            state.metrics.lateOutcomes += settled.late.count
            state.metrics.duplicates += settled.duplicates.count
            state.metrics.leaseLost += batch.count - applied.count - settled.late.count
        }
        claimBell.ring(.capacity)
        for outcome in batch {
            if settled.late.contains(outcome.id) {
                logger.warning(settled.duplicates.contains(outcome.id)
                               ? "late outcome recorded: sent after the lease had passed on, and sent by another attempt too (delivered twice)"
                               : "late outcome recorded: sent after the lease had passed on",
                               ("notification", .string(outcome.id)), ("attempt", .int(outcome.attempt)))
            } else {
                log(outcome, applied: applied.contains(outcome.id))
            }
        }
    }

    private func log(_ outcome: Store.QueueOutcome, applied: Bool) {
        // The common case logs nothing: return before building the fields.
        if applied && outcome.kind == .sent && logger.minimumLevel > .debug { return }
        let fields: [(String, Logger.Value)] = [("notification", .string(outcome.id)), ("attempt", .int(outcome.attempt)),
                                                ("durationMs", .int(outcome.durationMilliseconds))]
        guard applied else {
            logger.log(.warning, "outcome discarded: the lease had passed to another worker",
                           fields + [("outcome", .string(outcome.kind.rawValue))])
            return
        }
        switch outcome.kind {
        case .sent:
            logger.log(.debug, "sent", fields)
        case .retry:
            logger.log(.info, "attempt failed: will retry", fields + [
                ("retryInSeconds", .int(Int(outcome.retryDelay.seconds))), ("error", .string(outcome.error ?? ""))])
        case .failed:
            logger.log(.warning, "notification failed", fields + [("error", .string(outcome.error ?? ""))])
        case .postponed:
            logger.log(.debug, "not attempted: every channel of its chain has its circuit open", fields + [
                ("retryInMs", .int(Int(outcome.retryDelay.wholeMilliseconds)))])
        }
    }
}
