import Basics
import Crypto
import Foundation
import HeraldTestSupport
import Postgres
import Testing

/// The `herald worker` binary killed with SIGKILL while its fan-out statement
/// runs (issue 15's bulk batches): a fan-out is one statement, so a batch
/// becomes all its notifications or stays a batch. Nothing accepted may be
/// lost or written twice, and every message is sent once a worker runs on.
@Suite struct BulkBatchCrashTests {
    static let batches = 30
    static let perBatch = 400

    @Test(.timeLimit(.minutes(3)))
    func killedFanOutsLoseAndDuplicateNothing() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await NotificationAPITests.setUp(api)
            var ids: [String] = []
            for round in 0..<Self.batches {
                let messages = (0..<Self.perBatch).map { BulkBatchTests.message("r\(round)m\($0)") }
                ids += try BulkBatchTests.ids(try await BulkBatchTests.bulk(api, tenant, messages))
            }
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_batches") == Self.batches)

            let logFile = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("fan-out-crash-\(UUID().uuidString).log")
            defer { try? FileManager.default.removeItem(at: logFile) }
            let environment = [
                "DATABASE_URL": api.database.url, "HERALD_MASTER_KEY": MasterKey.generateHex(),
                "HERALD_JWT_SECRET": Hex.encode(SecureRandom.bytes(32)),
                "HERALD_WORKER_LEASE_SECONDS": "2", "HERALD_LOG_LEVEL": "warning",
            ]
            let launched = HeraldProcesses()
            defer { launched.killAll() }

            // Three workers, each killed while a fan-out statement of its runs.
            var leftAtKill: [Int] = []
            for _ in 0..<3 {
                guard try await Self.count(api, "SELECT count(*) FROM notification_batches") > 0 else { break }
                let worker = try launched.launch(["worker"], environment: environment, log: logFile)
                try await Self.waitUntil("a fan-out statement runs", timeout: .seconds(60)) { try await Self.fanOutRunning(api) }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...40)))
                HeraldProcesses.kill(worker)
                leftAtKill.append(try await Self.count(api, "SELECT count(*) FROM notification_batches"))
            }
            #expect(!leftAtKill.isEmpty, "at least one worker was killed inside a fan-out")

            // Between kills: each batch is whole, as batch or as notifications, never both or half.
            // (One statement, one snapshot: a killed worker's backend may still be finishing its statement.)
            let whole = try await Self.count(api, """
                SELECT (SELECT count(*) FROM notifications) + (SELECT count(*) FROM notification_batches) * \(Self.perBatch)
                """)
            #expect(whole == ids.count)

            let last = try launched.launch(["worker"], environment: environment, log: logFile)
            try await Self.waitUntil("every message sent", timeout: .seconds(120)) {
                try await Self.count(api, "SELECT count(*) FROM notifications WHERE status = 'sent'") == ids.count
            }
            let status = await HeraldProcesses.stop(last) // SIGTERM: a graceful stop
            #expect(status == 0, "\((try? String(contentsOf: logFile, encoding: .utf8)) ?? "")")

            let stored = try await api.pool.withConnection {
                try $0.query("SELECT id FROM notifications").map { try $0.decode("id", as: String.self) }
            }
            #expect(stored.count == ids.count)
            #expect(Set(stored) == Set(ids), "every id a bulk send answered is a notification, and no other")
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_batches") == 0)
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_queue") == 0)
            print("fan-out crash test: \(ids.count) messages in \(Self.batches) batches, SIGKILLs inside fan-outs with \(leftAtKill) batches left, all sent once the last worker ran")
        }
    }

    /// The worker's fan-out statement is running in this test's database.
    static func fanOutRunning(_ api: APIHarness) async throws -> Bool {
        try await count(api, """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
              AND query LIKE '%DELETE FROM notification_batches%'
            """) > 0
    }

    static func count(_ api: APIHarness, _ sql: String) async throws -> Int {
        try await api.pool.withConnection { try $0.query(sql)[0].decode(0, as: Int.self) }
    }

    static func waitUntil(_ what: String, timeout: Duration, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOutWaiting(what: what) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    struct TimedOutWaiting: Error, CustomStringConvertible {
        let what: String
        var description: String { "timed out waiting until \(what)" }
    }
}
