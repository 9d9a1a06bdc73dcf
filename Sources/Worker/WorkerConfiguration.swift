import Foundation

/// The worker's settings. HeraldCore's `Configuration` reads the
/// `HERALD_WORKER_*` variables and fills this in; the defaults are here.
public struct WorkerConfiguration: Sendable {
    /// Sends running at once while sends take time, e.g. SMTP or HTTP
    /// (`HERALD_WORKER_CONCURRENCY`, default 32).
    public var concurrency: Int
    /// The most rows one claim takes (`HERALD_WORKER_BATCH`, default 1024).
    /// Claims adapt below it: they grow while they come back full (a
    /// backlog) and shrink while they come back short (see `LeaseBook`).
    public var batchSize: Int
    /// The most rows held at once, claimed and not yet written back
    /// (`HERALD_WORKER_MAX_IN_FLIGHT`, default 4096): a bound on memory.
    /// Below it the worker holds what its send slots start within ~50 ms,
    /// so cheap sends (in-app) reach it and slow ones hold about a slot's
    /// worth beyond the running sends (see `LeaseBook`).
    public var maxInFlight: Int
    /// Where LISTEN connects (nil: the pool's URL).
    public var listenDatabaseURL: String?
    /// How long a claim is held without a heartbeat (`HERALD_WORKER_LEASE_SECONDS`,
    /// default 30): a killed worker's rows go out again this long after it died
    /// (plus at most `rescueInterval`).
    public var lease: Duration
    /// How long shutdown waits for sends in flight (`HERALD_SHUTDOWN_SECONDS`, default 25).
    public var shutdownTimeout: Duration
    /// Finished rows older than this many days are deleted (`HERALD_RETENTION_DAYS`,
    /// default 30; 0 keeps them forever).
    public var retentionDays: Int
    /// The fallback when no NOTIFY arrives (a lost NOTIFY, scheduled rows
    /// coming due, retries): one cheap index probe (`HERALD_WORKER_POLL_MS`, default 2000).
    public var pollInterval: Duration
    /// How often leases of held rows are renewed: a third of the lease.
    public var heartbeatInterval: Duration
    /// How often expired leases are looked for: every 5 s, or half the lease when shorter.
    public var rescueInterval: Duration
    public var retentionInterval: Duration
    public var backoff: BackoffPolicy
    /// Each channel's circuit breaker in this worker (`HERALD_CIRCUIT_*`).
    public var circuit: CircuitBreaker.Settings
    /// How long a fallback channel's settings are reused before they are
    /// read again (they carry no version in the claim, unlike a row's own channel).
    public var fallbackCacheTTL: Duration
    /// Names this worker in `locked_by` and logs; unique per process.
    public var workerId: String

    public init(concurrency: Int = 32, batchSize: Int = 1024, maxInFlight: Int = 4096, lease: Duration = .seconds(30),
                shutdownTimeout: Duration = .seconds(25), retentionDays: Int = 30, pollInterval: Duration = .seconds(2),
                backoff: BackoffPolicy = BackoffPolicy(), circuit: CircuitBreaker.Settings = CircuitBreaker.Settings(),
                workerId: String = WorkerConfiguration.makeWorkerId()) {
        precondition(concurrency > 0 && batchSize > 0 && lease >= .milliseconds(300), "invalid worker configuration")
        self.concurrency = concurrency
        self.batchSize = batchSize
        self.maxInFlight = max(concurrency, maxInFlight)
        self.listenDatabaseURL = nil
        self.lease = lease
        self.shutdownTimeout = shutdownTimeout
        self.retentionDays = retentionDays
        self.pollInterval = pollInterval
        self.heartbeatInterval = lease / 3
        self.rescueInterval = min(.seconds(5), lease / 2)
        self.retentionInterval = .seconds(3600)
        self.backoff = backoff
        self.circuit = circuit
        self.fallbackCacheTTL = .seconds(5)
        self.workerId = workerId
    }

    /// `host-pid-random`: readable in `locked_by`, and never reused by a
    /// restarted process (the random part), so a new process cannot mistake
    /// its predecessor's leases for its own.
    public static func makeWorkerId() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "worker"
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        return "\(host.prefix(40))-\(getpid())-\(suffix)"
    }
}
