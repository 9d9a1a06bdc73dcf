import Foundation
import Worker

extension Configuration {
    /// The `HERALD_WORKER_*` settings, read with the others so `herald worker`,
    /// `herald dev` and the queue benchmark configure the worker the same way.
    /// Unset values are nil and take the worker's own defaults.
    public struct WorkerSettings: Sendable {
        /// `HERALD_WORKER_CONCURRENCY` (1–10,000): sends in flight.
        public var concurrency: Int?
        /// `HERALD_WORKER_BATCH` (1–5,000): the largest claim (claims adapt below it).
        public var batchSize: Int?
        /// `HERALD_WORKER_MAX_IN_FLIGHT` (1–100,000): rows a worker holds at most.
        public var maxInFlight: Int?
        /// `HERALD_WORKER_POLL_MS` (10–600,000): the poll when no NOTIFY arrives.
        public var pollInterval: Duration?
        /// `HERALD_WORKER_LEASE_SECONDS` (1–86,400).
        public var lease: Duration?
        /// `HERALD_SHUTDOWN_SECONDS` (0–3,600).
        public var shutdownTimeout: Duration?
        /// `HERALD_RETENTION_DAYS` (0–36,500; 0 keeps rows forever).
        public var retentionDays: Int?
        /// `HERALD_WORKER_METRICS_PORT`: where `herald worker` serves /metrics; nil for none.
        public var metricsPort: Int?
        /// `HERALD_CIRCUIT_FAILURES` (1–1,000): provider failures in a row that open a channel's circuit.
        public var circuitFailures: Int?
        /// `HERALD_CIRCUIT_WINDOW_MS` (1–86,400,000): the most time between two of them.
        public var circuitWindow: Duration?
        /// `HERALD_CIRCUIT_COOLDOWN_MS` (1–86,400,000): how long an open circuit skips its channel before a probe.
        public var circuitCooldown: Duration?

        init(_ reader: SettingsReader) throws {
            concurrency = try reader.optionalInteger("HERALD_WORKER_CONCURRENCY", 1...10_000)
            batchSize = try reader.optionalInteger("HERALD_WORKER_BATCH", 1...5_000)
            maxInFlight = try reader.optionalInteger("HERALD_WORKER_MAX_IN_FLIGHT", 1...100_000)
            pollInterval = try reader.milliseconds("HERALD_WORKER_POLL_MS", 10...600_000)
            lease = try reader.seconds("HERALD_WORKER_LEASE_SECONDS", 1...86_400)
            shutdownTimeout = try reader.seconds("HERALD_SHUTDOWN_SECONDS", 0...3_600)
            retentionDays = try reader.optionalInteger("HERALD_RETENTION_DAYS", 0...36_500)
            metricsPort = try reader.port("HERALD_WORKER_METRICS_PORT")
            circuitFailures = try reader.optionalInteger("HERALD_CIRCUIT_FAILURES", 1...1_000)
            circuitWindow = try reader.milliseconds("HERALD_CIRCUIT_WINDOW_MS", 1...86_400_000)
            circuitCooldown = try reader.milliseconds("HERALD_CIRCUIT_COOLDOWN_MS", 1...86_400_000)
        }
    }

    /// The worker's configuration: these settings over the worker's defaults.
    public func workerConfiguration() -> WorkerConfiguration {
        let standard = WorkerConfiguration()
        return WorkerConfiguration(concurrency: worker.concurrency ?? standard.concurrency,
                                   batchSize: worker.batchSize ?? standard.batchSize,
                                   maxInFlight: worker.maxInFlight ?? standard.maxInFlight,
                                   lease: worker.lease ?? standard.lease,
                                   shutdownTimeout: worker.shutdownTimeout ?? standard.shutdownTimeout,
                                   retentionDays: worker.retentionDays ?? standard.retentionDays,
                                   pollInterval: worker.pollInterval ?? standard.pollInterval,
                                   circuit: CircuitBreaker.Settings(
                                       failures: worker.circuitFailures ?? standard.circuit.failures,
                                       window: worker.circuitWindow ?? standard.circuit.window,
                                       cooldown: worker.circuitCooldown ?? standard.circuit.cooldown),
                                   workerId: standard.workerId)
    }
}
