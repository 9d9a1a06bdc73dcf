import API
import Crypto
import Foundation
@testable import HeraldCore
import HeraldTestSupport
import JSON
import Logging
import Postgres
import Store
import Testing
import Worker

/// The whole of Herald as an operator runs it, on loopback: the API on a fresh
/// migrated database, the delivery worker on the same database with the
/// provider registry `herald worker` builds (HERALD_SMTP_URL pointing at a
/// real aiosmtpd server), and that SMTP server. `APIHarness` cannot take
/// HERALD_SMTP_URL or HERALD_PUBLIC_URL, hence this one.
final class EndToEndHarness: APIClient {
    static let publicURL = "https://app.herald.test"
    static let sender = "noreply@herald.test"

    let database: TestDatabase
    let services: Services
    let server: APIServer
    let smtp: TestSMTPServer
    let delivery: DeliveryProviders
    let worker: Worker
    let running: Task<Void, Never>
    let jwtSecret: String
    let contract: OpenAPIContract

    var port: Int { server.port }
    var pool: PostgresPool { services.pool }
    var store: Store { services.store }

    private init(database: TestDatabase, services: Services, server: APIServer, smtp: TestSMTPServer,
                 delivery: DeliveryProviders, worker: Worker, running: Task<Void, Never>, jwtSecret: String,
                 contract: OpenAPIContract) {
        self.database = database
        self.services = services
        self.server = server
        self.smtp = smtp
        self.delivery = delivery
        self.worker = worker
        self.running = running
        self.jwtSecret = jwtSecret
        self.contract = contract
    }

    /// Runs `body` against a fresh stack and always stops the worker, the API,
    /// the SMTP server and the database, whether `body` passed or threw.
    static func with<T: Sendable>(_ body: (EndToEndHarness) async throws -> T) async throws -> T {
        let harness = try await start()
        do {
            let result = try await body(harness)
            await harness.stop()
            return result
        } catch {
            await harness.stop()
            throw error
        }
    }

    private static func start() async throws -> EndToEndHarness {
        let smtp = try await TestSMTPServer.start()
        var database: TestDatabase?
        do {
            database = try await TestDatabase.cloned(template: "migrated") { try await Migrator().migrate($0) }
            let url = database!.url
            let jwtSecret = Hex.encode(SecureRandom.bytes(32))
            let configuration = try Configuration(environment: [
                "DATABASE_URL": url, "HERALD_PORT": "0",
                "HERALD_MASTER_KEY": MasterKey.generateHex(), "HERALD_JWT_SECRET": jwtSecret,
                "HERALD_PUBLIC_URL": publicURL, "HERALD_OUTBOUND_ALLOW": "127.0.0.0/8,::1/128",
                "HERALD_PASSWORD_HASH_COST": "test",
                "HERALD_SMTP_URL": "smtp://127.0.0.1:\(smtp.port)?security=none&from=\(sender)",
            ])
            let logger = Logger(label: "e2e", level: .error)
            let services = Services(configuration: configuration, databaseURL: url,
                                    masterKey: try configuration.requireSecrets().masterKey, jwtSecret: jwtSecret,
                                    poolSize: 6, logger: logger)
            let server = try APIServer.start(services: services, port: 0)
            // As `herald dev` does: the worker beside the API on one pool, with
            // the registry `herald worker` builds; a short poll only as fallback.
            let delivery = try DeliveryProviders(configuration: configuration, outbox: nil)
            let worker = Worker(configuration: WorkerConfiguration(shutdownTimeout: .seconds(5),
                                                                   pollInterval: .milliseconds(250)),
                                store: services.store, providers: delivery.lookup, logger: logger)
            let running = Task { await worker.run() }
            return EndToEndHarness(database: database!, services: services, server: server, smtp: smtp,
                                   delivery: delivery, worker: worker, running: running, jwtSecret: jwtSecret,
                                   contract: try OpenAPIContract.load())
        } catch {
            smtp.stop()
            try? await database?.drop()
            throw error
        }
    }

    private func stop() async {
        worker.shutdown()
        await running.value
        await delivery.shutdown()
        await server.shutdown()
        services.pool.close()
        smtp.stop()
        try? await database.drop()
    }

    // MARK: the queue

    /// Polls `GET /notifications/{id}` until the notification is no longer
    /// queued or sending, and answers it (the envelope's `data`).
    func settled(notification id: String, _ credential: Credential, timeout: Duration = .seconds(10)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while true {
            let response = try await call("GET", "/api/v0/notifications/\(id)", credential)
            try #require(response.status == 200, "GET /notifications/\(id) → \(response.status) \(response.bodyString)")
            // `{status: "success", data: notification}`
            let json = try #require(try response.json()["data"], "\(response.bodyString)")
            let status = json["status"]?.stringValue ?? ""
            if status != "queued" && status != "sending" { return json }
            guard ContinuousClock.now < deadline else {
                Issue.record("notification \(id) still \(status) after \(timeout)")
                return json
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Ids of the tenant's notifications addressed to `address` (any type).
    func notificationIds(to address: String, tenantId: String) async throws -> [String] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT id FROM notifications WHERE tenant_id = $1 AND "to" -> 'to' ? $2 ORDER BY seq
                """, [tenantId, address]).map { try $0.decode(0, as: String.self) }
        }
    }
}
