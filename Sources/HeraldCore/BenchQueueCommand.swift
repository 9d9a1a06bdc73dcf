import Basics
import Crypto
import Delivery
import Foundation
import Logging
import Postgres
import Store
import Worker

/// `herald bench queue [--rows N] [--seconds S] [--latency-samples N]`: the
/// worker's throughput and latency on DATABASE_URL (a throwaway database: it
/// adds a tenant and its rows, and removes them at the end).
///
/// 1. N rows queued at once (one INSERT … SELECT) through the no-op in-app
///    channel (`inapp_pxyz`): notifications completed per second. Without
///    `--seconds` the worker drains the queue; with it, the worker runs for S
///    seconds and stops (the way pgbench runs `-T S` on a queue that must not
///    run dry), and the rows it completed in that time count.
/// 2. On the idle worker, one notification at a time enqueued with
///    `pg_notify`: the time until the provider is called (median, p99).
public enum BenchQueueCommand {
    static let usage = "usage: herald bench queue [--rows N] [--seconds S] [--latency-samples N] (DATABASE_URL: a throwaway database)"

    public static func run(_ arguments: [String]) async -> Int32 {
        let arguments = arguments.first == "queue" ? Array(arguments.dropFirst()) : arguments
        do {
            let options = try CommandOptions(arguments, valued: ["--rows", "--seconds", "--latency-samples"], flags: [])
            guard options.positional.isEmpty,
                  let rows = Int(options.values["--rows"] ?? "100000"), rows > 0,
                  let samples = Int(options.values["--latency-samples"] ?? "200"), samples > 0 else {
                throw CommandFailure.usage(usage)
            }
            var window: Duration?
            if let text = options.values["--seconds"] {
                guard let seconds = Double(text), seconds > 0, seconds <= 3600 else { throw CommandFailure.usage(usage) }
                window = .milliseconds(Int(seconds * 1000))
            }
            let configuration = try Configuration()
            let pool = PostgresPool(url: try configuration.requireDatabaseURL(), size: 8)
            defer { pool.close() }
            try await Migrator().migrate(pool)
            let store = Store(pool: pool, keyring: Keyring(masterKey: try MasterKey(hex: MasterKey.generateHex())))
            let bench = try await BenchTenant.create(pool)
            defer { Task { try? await bench.remove(pool) } }
            // The worker at its defaults (the HERALD_WORKER_* variables, as
            // `herald worker` reads them): it adapts its claims and send slots.
            var settings = configuration.workerConfiguration()
            settings.retentionDays = 0
            let logger = Logger(label: "herald", level: configuration.logLevel)

            let throughput = try await measureThroughput(rows: rows, window: window, pool: pool, store: store,
                                                         bench: bench, settings: settings, logger: logger)
            // Counted the way deploy/bench-queue.sh counts pgbench's runs: the
            // rows over the span of their own completion times.
            let span = try await pool.withConnection { connection in
                try connection.query("""
                    SELECT count(*)::float8 / greatest(extract(epoch FROM max(sent_at) - min(sent_at)), 0.001)::float8 AS rate
                    FROM notifications WHERE tenant_id = $1 AND status = 'sent'
                    """, [bench.tenantId])[0].decode("rate", as: Double.self)
            }
            let latency = try await measureLatency(samples: samples, pool: pool, store: store, bench: bench,
                                                   settings: settings, logger: logger)
            func ms(_ duration: Duration) -> String { String(format: "%.2f", duration.seconds * 1000) }
            printOut("""
                rows=\(rows)
                completed=\(throughput.completed)
                concurrency=\(settings.concurrency)
                batch=\(settings.batchSize)
                max_in_flight=\(settings.maxInFlight)
                worker_seconds=\(String(format: "%.3f", throughput.elapsed.seconds))
                worker_notifications_per_s=\(Int((Double(throughput.completed) / throughput.elapsed.seconds).rounded()))
                worker_completion_span_per_s=\(Int(span.rounded()))
                latency_samples=\(samples)
                latency_median_ms=\(ms(latency.percentile(0.5)))
                latency_p99_ms=\(ms(latency.percentile(0.99)))
                latency_max_ms=\(ms(latency.percentile(1)))
                """)
            try await bench.remove(pool)
            return 0
        } catch {
            return error.report()
        }
    }

    /// Rows completed and the time from the worker's start until the last
    /// of them was committed: all `rows`, or those done within `window`.
    static func measureThroughput(rows: Int, window: Duration?, pool: PostgresPool, store: Store, bench: BenchTenant,
                                  settings: WorkerConfiguration,
                                  logger: Logger) async throws -> (completed: Int, elapsed: Duration) {
        try await pool.withConnection { connection in
            _ = try connection.query("""
                WITH n AS (
                  INSERT INTO notifications (id, tenant_id, channel_id, type, "to", rendered, priority)
                  SELECT 'bench-' || g, $1, $2, 'inapp', '["user"]', '{"text":"Your code is 123456"}', 1
                  FROM generate_series(1, $3::int) g
                  RETURNING id, priority
                )
                INSERT INTO notification_queue (id, priority, run_at) SELECT id, priority, now() FROM n
                """, [bench.tenantId, bench.channelId, rows])
            _ = try connection.execute("VACUUM ANALYZE notifications, notification_queue")
            _ = try connection.execute("CHECKPOINT")
        }
        let inApp = InAppProvider()
        let worker = Worker(configuration: settings, store: store,
                            providers: { $0 == InAppProvider.name ? inApp : nil }, logger: logger, builtInTemplates: [])
        let start = ContinuousClock.now
        let running = Task { await worker.run() }
        let deadline = window.map { start + $0 }
        while worker.metrics.sent + worker.metrics.failed < rows {
            if let deadline, ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(2))
        }
        let drained = worker.metrics.sent + worker.metrics.failed >= rows
        let drainedAt = ContinuousClock.now
        worker.shutdown()
        await running.value
        // At a deadline, the sends in flight finish during the shutdown and count.
        let elapsed = (drained ? drainedAt : ContinuousClock.now) - start
        let totals = worker.metrics
        guard totals.failed == 0 else { throw CommandFailure.data("\(totals.failed) notifications failed") }
        if window != nil && totals.sent >= rows {
            printError("warning: the queue ran dry before the time was up: raise --rows")
        }
        // What the window left is dropped, so the latency is measured on an idle worker.
        try await pool.withConnection { connection in
            _ = try connection.query("DELETE FROM notifications WHERE tenant_id = $1 AND status = 'queued'", [bench.tenantId])
        }
        return (totals.sent, elapsed)
    }

    /// Enqueue → provider call, one notification at a time on an idle worker.
    static func measureLatency(samples: Int, pool: PostgresPool, store: Store, bench: BenchTenant,
                               settings: WorkerConfiguration, logger: Logger) async throws -> [Duration] {
        let probe = DispatchProbe()
        let worker = Worker(configuration: settings, store: store,
                            providers: { $0 == InAppProvider.name ? probe : nil }, logger: logger, builtInTemplates: [])
        let running = Task { await worker.run() }
        defer { worker.shutdown() }
        try await Task.sleep(for: .milliseconds(500)) // LISTEN is up and the queue drained
        var latencies: [Duration] = []
        for _ in 0..<samples {
            let start = ContinuousClock.now
            let id = try await store.enqueue(Store.NewNotification(
                tenantId: bench.tenantId, templateId: nil, templateName: "verification-code", channelId: bench.channelId,
                type: .inapp, to: ["user"], locale: "en", variables: [:], rendered: ["text": "Your code is 123456"],
                priority: .interactive))
            latencies.append(await probe.dispatched(id) - start)
            try await Task.sleep(for: .milliseconds(20)) // idle again between samples
        }
        worker.shutdown()
        await running.value
        return latencies
    }
}

/// The benchmark's own tenant and in-app channel.
struct BenchTenant: Sendable {
    let tenantId: String
    let channelId: String

    static func create(_ pool: PostgresPool) async throws -> BenchTenant {
        let bench = BenchTenant(tenantId: Identifier.make(), channelId: Identifier.make())
        try await pool.withConnection { connection in
            _ = try connection.query("""
                INSERT INTO tenants (id, name, slug, environment, public_key, secret_key_enc, secret_key_digest)
                VALUES ($1, 'Queue benchmark', $1, 'development', $1, '-', $1)
                """, [bench.tenantId])
            _ = try connection.query("""
                INSERT INTO channels (id, tenant_id, name, key, type, provider) VALUES ($2, $1, 'In-app', 'inapp', 'inapp', 'inapp_pxyz')
                """, [bench.tenantId, bench.channelId])
        }
        return bench
    }

    /// Deleting the tenant removes its rows (cascade). Idempotent.
    func remove(_ pool: PostgresPool) async throws {
        try await pool.withConnection { _ = try $0.query("DELETE FROM tenants WHERE id = $1", [tenantId]) }
    }
}

/// A no-op provider that notes when each notification reached it.
final class DispatchProbe: NotificationProvider, @unchecked Sendable {
    private let lock = NSLock()
    private var reached: [String: ContinuousClock.Instant] = [:]
    private var waiting: [String: CheckedContinuation<ContinuousClock.Instant, Never>] = [:]

    func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt {
        let now = ContinuousClock.now
        let waiter = lock.withLock { () -> CheckedContinuation<ContinuousClock.Instant, Never>? in
            guard let waiter = waiting.removeValue(forKey: message.notificationId) else {
                reached[message.notificationId] = now
                return nil
            }
            return waiter
        }
        waiter?.resume(returning: now)
        return DeliveryReceipt(providerMessageId: message.notificationId)
    }

    func dispatched(_ id: String) async -> ContinuousClock.Instant {
        await withCheckedContinuation { continuation in
            let done = lock.withLock { () -> ContinuousClock.Instant? in
                if let time = reached.removeValue(forKey: id) { return time }
                waiting[id] = continuation
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }
}

extension Array where Element == Duration {
    /// The value at fraction `p` of the sorted samples (nearest rank).
    func percentile(_ p: Double) -> Duration {
        let sorted = self.sorted()
        guard !sorted.isEmpty else { return .zero }
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank))]
    }
}

