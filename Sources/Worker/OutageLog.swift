import Logging

/// Logs a database outage once when it starts and once when it ends, not
/// on every failed poll, and paces the retries (100 ms doubling to 2 s).
struct OutageLog {
    let what: String
    private var failures = 0

    init(what: String) { self.what = what }

    var retryDelay: Duration { .milliseconds(min(2000, 100 << min(failures, 5))) }

    mutating func failed(_ error: any Error, _ logger: Logger) {
        // A stopping worker cancels its loops: that is no outage.
        if error is CancellationError { return }
        if failures == 0 {
            logger.warning("database unavailable: retrying", ("while", .string(what)), ("error", .string("\(error)")))
        }
        failures += 1
    }

    mutating func succeeded(_ logger: Logger) {
        if failures > 0 {
            logger.info("database available again", ("while", .string(what)), ("failedTries", .int(failures)))
        }
        failures = 0
    }
}
