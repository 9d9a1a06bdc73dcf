import Logging
import Store

/// The loops beside claiming: lease heartbeat, rescue of expired leases,
/// retention. Each ends when its task is cancelled (shutdown).
extension Worker {
    /// Renews the leases of every row this worker holds, so a slow send keeps
    /// its row; rows found taken by someone else are dropped if not started.
    /// While renewals fail, rows whose lease is too old wait (`LeaseBook`);
    /// the first renewal that succeeds starts them again.
    func heartbeatLoop() async {
        var outage = OutageLog(what: "renewing leases")
        var warnedStale = false
        while await pause(configuration.heartbeatInterval) {
            let ids = state.withLock { $0.book.heldIds }
            guard !ids.isEmpty else { continue }
            let sentAt = ContinuousClock.now
            do {
                let kept = try await queue.renew(ids)
                outage.succeeded(logger)
                let missing = ids.filter { !kept.contains($0) }
                let (dropped, start, wasStale) = state.withLock { state in
                    let wasStale = state.book.isStale(now: .now)
                    state.book.renewed(kept, at: sentAt)
                    return (state.book.lost(missing), state.book.startable(now: .now), wasStale)
                }
                warnedStale = false
                if wasStale {
                    logger.info("leases renewed: sending again", ("held", .int(kept.count)))
                }
                startSends(start)
                if wasStale || !dropped.isEmpty { claimBell.ring(.capacity) }
                for notification in dropped {
                    logger.warning("lease lost before sending: dropped", ("notification", .string(notification)))
                }
            } catch {
                outage.failed(error, logger)
                if !warnedStale, state.withLock({ $0.book.isStale(now: .now) }) {
                    warnedStale = true
                    logger.warning("leases not renewed for too long: no new sends until a renewal succeeds",
                                   ("error", .string("\(error)")))
                }
            }
        }
    }

    /// Puts rows of dead workers back in the queue: first at start (a
    /// restarted worker picks up its predecessor's rows), then every
    /// `rescueInterval`, so a row goes out again within that of its expiry.
    func rescueLoop() async {
        var outage = OutageLog(what: "rescuing expired leases")
        repeat {
            do {
                var batch: [Store.RescuedNotification]
                repeat {
                    batch = try await queue.rescueExpired(limit: 500) { [state] in state.withLock { $0.book.heldIds } }
                    record(batch)
                } while batch.count == 500 && !Task.isCancelled
                outage.succeeded(logger)
            } catch {
                outage.failed(error, logger)
            }
        } while await pause(configuration.rescueInterval)
    }

    private func record(_ rescued: [Store.RescuedNotification]) {
        guard !rescued.isEmpty else { return }
        state.withLock { $0.metrics.rescued += rescued.count }
        for row in rescued {
            logger.warning(row.failed ? "expired lease: no attempts left, failed" : "expired lease: queued again",
                           ("notification", .string(row.id)), ("attempts", .int(row.attempts)),
                           ("previousWorker", .string(row.previousOwner ?? "")))
        }
        if rescued.contains(where: { !$0.failed }) { claimBell.ring(.work) }
    }

    /// Deletes finished rows past the retention period, a batch at a time so
    /// no statement holds locks or bloats WAL for long.
    func retentionLoop() async {
        guard await pause(.seconds(30)) else { return }
        repeat {
            var total = 0
            do {
                let days = configuration.retentionDays
                while true {
                    let deleted = try await queue.deleteFinished(olderThanDays: days, limit: 1000)
                    total += deleted
                    guard deleted == 1000, await pause(.milliseconds(20)) else { break }
                }
            } catch {
                logger.warning("retention pass failed", ("error", .string("\(error)")))
            }
            if total > 0 {
                logger.info("deleted finished notifications past retention", ("count", .int(total)),
                            ("retentionDays", .int(configuration.retentionDays)))
            }
        } while await pause(configuration.retentionInterval)
    }

    /// Sleeps; false when the task was cancelled (time to stop).
    func pause(_ duration: Duration) async -> Bool {
        do {
            try await Task.sleep(for: duration)
            return true
        } catch {
            return false
        }
    }
}
