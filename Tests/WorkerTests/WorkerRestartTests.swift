import Crypto
import Foundation
import LocalPostgres
import Postgres
import Store
import Testing
import Worker
#if canImport(Glibc)
import Glibc
#endif

/// PostgreSQL restarting under a running worker, on a private cluster (the
/// shared test server must not be restarted under other tests).
@Suite struct WorkerRestartTests {
    @Test(.timeLimit(.minutes(1)))
    func finishesTheRunAcrossAPostgreSQLRestart() async throws {
        // The `herald-pg-test-<pid>-` prefix lets TestDatabase sweep it up if this process dies.
        let directory = NSTemporaryDirectory() + "herald-pg-test-\(getpid())-worker-restart-\(UInt32.random(in: 0...UInt32.max))"
        let cluster = try await blocking { try LocalPostgresCluster.start(directory: directory, port: 0, forTests: true, binaries: .testEnvironment) }
        defer {
            try? cluster.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        try await blocking { try cluster.createDatabase("herald") }
        let pool = PostgresPool(url: cluster.url(database: "herald"), size: 4, acquireTimeout: .seconds(3))
        defer { pool.close() }
        try await Migrator().migrate(pool)
        let store = Store(pool: pool, keyring: Keyring(masterKey: try MasterKey(hex: MasterKey.generateHex())))
        let fixture = QueueFixture(database: nil, url: cluster.url(database: "herald"), pool: pool, store: store, tenantId: "")
        let tenantId = try await fixture.makeTenant()
        let before = try await fixture.insert(1500, tenantId: tenantId)

        let provider = RecordingProvider(delay: .milliseconds(3))
        let worker = fixture.worker(.forTests(concurrency: 8, batch: 16, lease: .seconds(6)), providers: ["inapp_pxyz": provider])
        var after: [String] = []
        try await withRunningWorker(worker) {
            try await waitUntil("the run is under way") { provider.deliveredCount > 200 }
            try await blocking { try cluster.stop() }
            try await Task.sleep(for: .milliseconds(300))
            try await blocking { try cluster.start() }
            // New work after the restart arrives by NOTIFY on the re-established LISTEN.
            for _ in 0..<20 {
                let id = try await retrying {
                    try await store.enqueue(Store.NewNotification(
                        tenantId: tenantId, templateId: nil, templateName: nil, channelId: nil, type: .inapp,
                        to: ["user"], locale: "en", variables: [:], rendered: ["text": "after"], priority: .interactive))
                }
                after.append(id)
            }
            try await waitUntil("every row sent", timeout: .seconds(40)) {
                (try? await fixture.count(status: "sent")) == 1520
            }
        }
        let delivered = provider.delivered
        #expect(Set(delivered.keys) == Set(before + after))
        #expect(delivered.values.allSatisfy { $0 == 1 }, "sent twice: \(delivered.filter { $0.value > 1 }.keys.sorted())")
        #expect(try await fixture.count(status: "sending") == 0)
    }

    /// Runs blocking cluster work off the cooperative pool.
    func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// The pool reconnects on next use; the first uses after a restart may still fail.
    func retrying<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        for _ in 0..<50 {
            if let value = try? await body() { return value }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await body()
    }
}
