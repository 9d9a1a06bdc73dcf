import API
import Crypto
import Foundation
@testable import HeraldCore
import HeraldTestSupport
import JSON
import Logging
import Store
import Testing
import Worker

/// Herald as operators behind a managed pooler run it: the API and the worker
/// through a real PgBouncer 1.18 in transaction mode
/// (`HERALD_DATABASE_POOL_MODE=transaction`), LISTEN on a direct connection
/// (`HERALD_LISTEN_DATABASE_URL`).
@Suite(.serialized) struct PgBouncerEndToEndTests {
    /// The API (and a worker, started on demand) on one database through PgBouncer.
    final class Stack: APIClient {
        let database: TestDatabase
        let bouncer: TestPgBouncer
        let services: Services
        let server: APIServer
        let configuration: HeraldCore.Configuration
        let jwtSecret: String
        let contract: OpenAPIContract
        var port: Int { server.port }
        var store: Store { services.store }

        init() async throws {
            database = try await TestDatabase.cloned(template: "migrated") { try await Migrator().migrate($0) }
            bouncer = try await TestPgBouncer.start(mode: "transaction", poolSize: 4)
            let pooled = bouncer.url(database: database.name)
            jwtSecret = Hex.encode(SecureRandom.bytes(32))
            configuration = try Configuration(environment: [
                "DATABASE_URL": pooled, "HERALD_DATABASE_POOL_MODE": "transaction",
                "HERALD_LISTEN_DATABASE_URL": database.url, "HERALD_PORT": "0",
                "HERALD_MASTER_KEY": MasterKey.generateHex(), "HERALD_JWT_SECRET": jwtSecret,
                "HERALD_PASSWORD_HASH_COST": "test",
            ])
            services = Services(configuration: configuration, databaseURL: pooled,
                                masterKey: try configuration.requireSecrets().masterKey, jwtSecret: jwtSecret,
                                poolSize: 16, logger: Logger(label: "pgbouncer-e2e", level: .error))
            server = try APIServer.start(services: services, port: 0)
            contract = try OpenAPIContract.load()
        }

        func stop() async {
            await server.shutdown()
            services.close()
            bouncer.stop()
            try? await database.drop()
        }
    }

    private static func withStack(_ body: (Stack) async throws -> Void) async throws {
        let stack = try await Stack()
        do {
            try await body(stack)
            await stack.stop()
        } catch {
            await stack.stop()
            throw error
        }
    }

    /// A tenant with an in-app channel `inbox`, and templates `hello` and `bye`
    /// (same shape, different text: a query run for the wrong one would show).
    private static func tenant(_ stack: Stack) async throws -> (TestTenant, [String: String]) {
        let owner = try await stack.token(email: "bouncer-\(UUID().uuidString.prefix(8))@example.com")
        let tenant = try await stack.tenant(owner: owner)
        let channel = try await stack.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
            {"tenantId":"\(tenant.id)","name":"Inbox","key":"inbox","type":"inapp","provider":"inapp_pxyz","providerSettings":{}}
            """)
        try #require(channel.status == 200, "\(channel.bodyString)")
        var ids: [String: String] = [:]
        for (name, text) in [("hello", "Hello {{name}}"), ("bye", "Bye {{name}}")] {
            let created = try await stack.call("POST", "/api/v0/notifications/templates", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","type":"inapp","name":"\(name)","body":{"text":"\(text)"}}
                """)
            try #require(created.status == 200, "\(created.bodyString)")
            ids[name] = try created.json()["data"]?["id"]?.stringValue ?? created.json()["id"]?.stringValue
        }
        return (tenant, ids)
    }

    @Test func twoHundredConcurrentTemplateReadsAreAllRight() async throws {
        try await Self.withStack { stack in
            let (tenant, ids) = try await Self.tenant(stack)
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<200 {
                    let name = i % 2 == 0 ? "hello" : "bye"
                    let id = ids[name] ?? ""
                    group.addTask {
                        let response = try await stack.call("GET", "/api/v0/notifications/templates/\(id)", tenant.keys)
                        return response.status == 200 && response.bodyString.contains(name == "hello" ? "Hello" : "Bye")
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 200)
        }
    }

    @Test func aThousandSendsAreAcceptedAndDeliveredOnceEachWithPromptWakeUps() async throws {
        try await Self.withStack { stack in
            let (tenant, _) = try await Self.tenant(stack)
            let body = #"{"tenantId":"\#(tenant.id)","template":"hello","channel":"inbox","variables":{"name":"Ann"},"input":{"to":["user_1"]}}"#
            // A worker at its defaults, LISTENing directly.
            let delivery = try DeliveryProviders(configuration: stack.configuration, outbox: nil)
            let worker = stack.services.makeWorker(configuration: try stack.configuration.workerConfiguration(),
                                                   providers: delivery.lookup)
            let running = Task { await worker.run() }
            defer { worker.shutdown() }
            // One send on an idle worker: it goes out on NOTIFY, not on the poll.
            let sent = try await stack.call("POST", "/api/v0/notifications/send", tenant.keys, json: body)
            try #require(sent.status == 200, "\(sent.bodyString)")
            let firstId = String(sent.headers["location"]?.split(separator: "/").last ?? "")
            var wakeUp = Duration.zero
            let answered = ContinuousClock.now
            while ContinuousClock.now - answered < .seconds(10) {
                let status = try await stack.call("GET", "/api/v0/notifications/\(firstId)", tenant.keys)
                    .json()["data"]?["status"]?.stringValue
                if status == "sent" { wakeUp = ContinuousClock.now - answered; break }
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(wakeUp > .zero && wakeUp < .milliseconds(1500), "first send took \(wakeUp): the worker did not hear NOTIFY")

            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<1000 {
                    group.addTask { try await stack.call("POST", "/api/v0/notifications/send", tenant.keys, json: body).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 1000, "\(Set(statuses))")
            let drained = ContinuousClock.now
            var counts = (sent: 0, attempts: 0, queued: 0)
            while ContinuousClock.now - drained < .seconds(60) {
                counts = try await stack.services.pool.withConnection { connection in
                    let row = try connection.query("""
                        SELECT (SELECT count(*) FROM notifications WHERE status = 'sent') AS sent,
                               (SELECT count(*) FROM notification_attempts) AS attempts,
                               (SELECT count(*) FROM notification_queue) AS queued
                        """)[0]
                    return (try row.decode("sent"), try row.decode("attempts"), try row.decode("queued"))
                }
                if counts.sent == 1001 && counts.queued == 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            print("pgbouncer: idle send answered→sent \(wakeUp); 1,000 sends drained in \(ContinuousClock.now - drained), "
                  + "\(counts.attempts) attempts for \(counts.sent) sent")
            #expect(counts.sent == 1001)
            #expect(counts.attempts == 1001, "an attempt per notification: \(counts.attempts) attempts")
            worker.shutdown()
            await running.value
            await delivery.shutdown()
        }
    }
}
