import Logging
import Postgres
import Store

/// The loops beside claiming: lease heartbeat, rescue of expired leases,
/// retention. Each ends when its task is cancelled (shutdown).
extension Worker {
    /// Renews the leases of every row this worker holds, so a slow send keeps
    /// its row; rows found taken by someone else are dropped if not started.
    func heartbeatLoop() async {
        var outage = OutageLog(what: "renewing leases")
        while await pause(configuration.heartbeatInterval) {
            let ids = state.withLock { $0.book.heldIds }
            guard !ids.isEmpty else { continue }
            let (id, lease) = (configuration.workerId, configuration.lease)
            do {
                let kept = try await pool.withConnection { try Store.extendLeases($0, workerId: id, ids: ids, lease: lease) }
                outage.succeeded(logger)
                let missing = ids.filter { !kept.contains($0) }
                guard !missing.isEmpty else { continue }
                let dropped = state.withLock { $0.book.lost(missing) }
                for notification in dropped {
                    logger.warning("lease lost before sending: dropped", ("notification", .string(notification)))
                }
            } catch {
                outage.failed(error, logger)
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
                    batch = try await pool.withConnection { try Store.rescueExpired($0, limit: 500) }
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
                    let deleted = try await pool.withConnection { try Store.deleteFinished($0, olderThanDays: days, limit: 1000) }
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
