import Store

/// Bulk sends accepted as batches (issue 15, Store+Batches) become
/// notifications and queue rows here, in a task of the worker's own, never on
/// the claim path: claims stay as they were. Woken by a batch's NOTIFY (and a
/// reconnect of the listener), with the poll interval as fallback; several
/// workers fan out different batches at once (SKIP LOCKED). Each fan-out's
/// own NOTIFY wakes every worker's claim loop.
extension Worker {
    func fanOutLoop() async {
        var outage = OutageLog(what: "fanning out batches")
        var limit = Store.fanOutLimit
        while !Task.isCancelled {
            do {
                let done = try await queue.fanOutBatches(limit: limit)
                outage.succeeded(logger)
                if done.notifications > 0 {
                    state.withLock { $0.metrics.fannedOut += done.notifications }
                    claimBell.ring(.work) // this worker's claim loop, even with a deaf listener
                }
                let more = done.batches == limit
                limit = Store.fanOutLimit
                if more { continue }
            } catch {
                outage.failed(error, logger)
                // A statement past its deadline goes again one batch at a time.
                limit = 1
                _ = await fanOutBell.wait(timeout: outage.retryDelay)
                continue
            }
            _ = await fanOutBell.wait(timeout: configuration.pollInterval)
        }
    }
}
