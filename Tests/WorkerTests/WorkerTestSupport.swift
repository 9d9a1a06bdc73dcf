import Crypto
import Delivery
import Foundation
import HeraldTestSupport
import JSON
import Logging
import Postgres
import Rendering
@testable import Store
import Worker

/// A migrated database of its own with a pool, a store and one tenant.
struct QueueFixture: Sendable {
    /// nil for a database the test manages itself (a private cluster).
    let database: TestDatabase?
    let url: String
    let pool: PostgresPool
    let store: Store
    let tenantId: String

    static func make(poolSize: Int = 6) async throws -> QueueFixture {
        let database = try await TestDatabase.cloned(template: "worker-migrated") { try await Migrator().migrate($0) }
        let pool = database.pool(size: poolSize)
        let store = Store(pool: pool, keyring: Keyring(masterKey: try MasterKey(hex: MasterKey.generateHex())))
        let fixture = QueueFixture(database: database, url: database.url, pool: pool, store: store, tenantId: "")
        return QueueFixture(database: database, url: database.url, pool: pool, store: store,
                            tenantId: try await fixture.makeTenant())
    }

    func close() async {
        pool.close()
        try? await database?.drop()
    }

    func makeTenant() async throws -> String {
        let id = Identifier.make()
        try await pool.withConnection { connection in
            _ = try connection.query("""
                INSERT INTO tenants (id, name, slug, environment, public_key, secret_key_enc, secret_key_digest)
                VALUES ($1, 'Test tenant', $1, 'development', $1, 'sealed', $1)
                """, [id])
        }
        return id
    }

    /// Inserts `count` rows in one INSERT … SELECT and answers their ids in
    /// insertion order. Rows carry rendered content unless `rendered` is nil.
    @discardableResult
    func insert(_ count: Int, tenantId: String? = nil, type: String = "inapp", priority: Int = 1,
                channelId: String? = nil, rendered: String? = #"{"text":"hello"}"#, to: String = #"["user-1"]"#,
                runAtOffsetSeconds: Int = 0, status: String = "queued", templateName: String? = nil,
                variables: String = "{}", maxAttempts: Int = 8) async throws -> [String] {
        let prefix = "n" + String(Identifier.make().dropFirst().prefix(10)) + "-"
        let tenant = tenantId ?? self.tenantId
        try await pool.withConnection { connection in
            _ = try connection.query("""
                WITH n AS (
                  INSERT INTO notifications (id, tenant_id, type, priority, channel_id, rendered, "to", status,
                                             template_name, variables, max_attempts)
                  SELECT $1 || lpad(g::text, 7, '0'), $2, $3, $4, $5, $6::jsonb, $7::jsonb, $9, $10, $11::jsonb, $12
                  FROM generate_series(1, $13::int) g
                  RETURNING id, priority, status
                )
                INSERT INTO notification_queue (id, priority, run_at)
                SELECT id, priority, now() + $8::int * interval '1 second' FROM n WHERE status = 'queued'
                """, [prefix, tenant, type, priority, channelId, rendered, to, runAtOffsetSeconds, status, templateName,
                      variables, maxAttempts, count])
        }
        return count == 0 ? [] : (1...count).map { prefix + String(format: "%07d", $0) }
    }

    /// The status the API shows (`sending` while the queue row is leased),
    /// computed by the API's own expression over `notifications t`.
    static let status = Projection.notificationStatus

    func status(_ id: String) async throws -> String? {
        try await pool.withConnection {
            try $0.query("SELECT \(Self.status) FROM notifications t WHERE t.id = $1", [id]).first?.decode(0)
        }
    }

    func count(status: String) async throws -> Int {
        try await pool.withConnection {
            try $0.query("SELECT count(*)::int FROM notifications t WHERE \(Self.status) = $1", [status])[0].decode(0)
        }
    }

    /// Rows per status.
    func statusCounts() async throws -> [String: Int] {
        try await pool.withConnection {
            Dictionary(uniqueKeysWithValues: try $0.query("SELECT \(Self.status), count(*)::int FROM notifications t GROUP BY 1").map {
                (try $0.decode(0, as: String.self), try $0.decode(1, as: Int.self))
            })
        }
    }

    /// The notification's columns with the API's status first (it wins a
    /// lookup by name) and its queue row's lease, run_at and claim count.
    func row(_ id: String) async throws -> PostgresRow {
        try await pool.withConnection {
            try $0.query("""
                SELECT \(Self.status) AS status, j.run_at, j.locked_by, j.locked_until, j.attempts AS claims, t.*
                FROM notifications t LEFT JOIN notification_queue j ON j.id = t.id WHERE t.id = $1
                """, [id])[0]
        }
    }

    /// (attempt, outcome, error) per attempt row, oldest first.
    func attempts(_ id: String) async throws -> [(attempt: Int, outcome: String, error: String?)] {
        try await pool.withConnection {
            try $0.query("SELECT attempt, outcome, error FROM notification_attempts WHERE notification_id = $1 ORDER BY attempt, created_at",
                         [id]).map { (try $0.decode(0), try $0.decode(1), try $0.optional(2)) }
        }
    }

    func worker(_ configuration: WorkerConfiguration = .forTests(), providers: [String: any NotificationProvider],
                library: [Rendering.TemplateSeed] = [], logger: Logger = .quiet) -> Worker {
        Worker(configuration: configuration, store: store, providers: { providers[$0] }, logger: logger,
               builtInTemplates: library)
    }
}

extension WorkerConfiguration {
    /// Short leases and waits, fast retries: the behaviour of production in milliseconds.
    static func forTests(concurrency: Int = 8, batch: Int = 16, lease: Duration = .seconds(5),
                         shutdown: Duration = .seconds(5)) -> WorkerConfiguration {
        WorkerConfiguration(concurrency: concurrency, batchSize: batch, lease: lease, shutdownTimeout: shutdown,
                            retentionDays: 0, pollInterval: .milliseconds(200),
                            backoff: BackoffPolicy(base: .milliseconds(20), multiplier: 2, maximum: .milliseconds(200)))
    }
}

extension Logger {
    /// Only errors, on standard error: failures show, routine lines do not.
    static let quiet = Logger(label: "worker-test", level: .error)
}

/// Lines a logger wrote, for tests that check what was logged.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var logger: Logger {
        Logger(label: "worker-test", level: .info) { line in self.lock.withLock { self.lines.append(line) } }
    }

    var all: [String] { lock.withLock { lines } }
}

/// A provider that records every delivery (and can be slow or fail on cue).
final class RecordingProvider: NotificationProvider, @unchecked Sendable {
    private let lock = NSLock()
    private var deliveries: [String: Int] = [:]
    private var calls: [String: Int] = [:]
    private var firstCall: [String: ContinuousClock.Instant] = [:]
    private var messages: [String: OutgoingMessage] = [:]
    private var running = 0
    private(set) var peakRunning = 0
    let delay: Duration
    /// Called before each delivery with the call number for that id (1 first); throwing fails the send.
    let script: @Sendable (OutgoingMessage, Int) throws -> Void

    init(delay: Duration = .zero, script: @escaping @Sendable (OutgoingMessage, Int) throws -> Void = { _, _ in }) {
        self.delay = delay
        self.script = script
    }

    func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt {
        let call = lock.withLock { () -> Int in
            calls[message.notificationId, default: 0] += 1
            if firstCall[message.notificationId] == nil { firstCall[message.notificationId] = .now }
            running += 1
            peakRunning = max(peakRunning, running)
            return calls[message.notificationId]!
        }
        defer { lock.withLock { running -= 1 } }
        if delay > .zero { try await Task.sleep(for: delay) }
        try script(message, call)
        lock.withLock {
            deliveries[message.notificationId, default: 0] += 1
            messages[message.notificationId] = message
        }
        return DeliveryReceipt(providerMessageId: "pm-" + message.notificationId, response: "250 accepted")
    }

    var delivered: [String: Int] { lock.withLock { deliveries } }
    var deliveredCount: Int { lock.withLock { deliveries.values.reduce(0, +) } }
    func message(_ id: String) -> OutgoingMessage? { lock.withLock { messages[id] } }
    func firstCallTime(_ id: String) -> ContinuousClock.Instant? { lock.withLock { firstCall[id] } }
    func callCount(_ id: String) -> Int { lock.withLock { calls[id] ?? 0 } }
}

struct TimedOut: Error, CustomStringConvertible {
    let description: String
}

/// Polls `condition` every 20 ms until it holds; throws after `timeout`.
func waitUntil(_ what: String, timeout: Duration = .seconds(10),
               _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(description: "timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Runs a worker for the duration of `body`, then shuts it down and waits for it.
func withRunningWorker<T>(_ worker: Worker, _ body: () async throws -> T) async throws -> T {
    let running = Task { await worker.run() }
    do {
        let result = try await body()
        worker.shutdown()
        await running.value
        return result
    } catch {
        worker.shutdown()
        await running.value
        throw error
    }
}

/// A provider whose sends wait until the test opens it: a send that is
/// known to be running while the test changes the database under it.
final class GatedProvider: NotificationProvider, @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var calls: [String] = []

    func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt {
        await withCheckedContinuation { continuation in
            let now = lock.withLock { () -> Bool in
                calls.append(message.notificationId)
                if isOpen { return true }
                waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        return DeliveryReceipt(providerMessageId: "pm-" + message.notificationId, response: "250 accepted")
    }

    func open() {
        let waiting = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            isOpen = true
            defer { waiters = [] }
            return waiters
        }
        waiting.forEach { $0.resume() }
    }

    var called: [String] { lock.withLock { calls } }
}

extension QueueFixture {
    /// Leases end now, without waiting for them.
    func expireLeases(_ ids: [String]) async throws {
        try await pool.withConnection { connection in
            _ = try connection.query("UPDATE notification_queue SET locked_until = now() - interval '1 second' WHERE id = ANY($1)",
                                     [ids])
        }
    }
}
