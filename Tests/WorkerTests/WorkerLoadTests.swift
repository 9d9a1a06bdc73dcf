import Foundation
import Postgres
import Store
import Testing
import Worker

/// Many rows: priority under a large backlog, and several workers sharing a
/// database without sending anything twice.
@Suite struct WorkerLoadTests {
    @Test(.timeLimit(.minutes(1)))
    func aVerificationCodeOvertakesAnotherTenantsBacklog() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        // One tenant's backlog of 100,000 normal and bulk rows, in one statement.
        try await fixture.pool.withConnection { connection in
            _ = try connection.query("""
                WITH n AS (
                  INSERT INTO notifications (id, tenant_id, type, priority, rendered, "to")
                  SELECT 'bulk-' || g, $1, 'inapp', 1 + g % 2, '{"text":"news"}', '["user"]' FROM generate_series(1, 100000) g
                  RETURNING id, priority
                )
                INSERT INTO notification_queue (id, priority, run_at) SELECT id, priority, now() FROM n
                """, [fixture.tenantId])
            _ = try connection.execute("ANALYZE notifications, notification_queue")
        }
        let otherTenant = try await fixture.makeTenant()
        let provider = RecordingProvider(delay: .milliseconds(2))
        let worker = fixture.worker(.forTests(concurrency: 32, batch: 64), providers: ["inapp_pxyz": provider])
        var waits: [Duration] = []
        try await withRunningWorker(worker) {
            try await waitUntil("the backlog is being worked") { provider.deliveredCount > 500 }
            for _ in 0..<3 {
                let start = ContinuousClock.now
                let code = try await fixture.store.enqueue(Store.NewNotification(
                    tenantId: otherTenant, templateId: nil, templateName: "verification-code", channelId: nil, type: .inapp,
                    to: ["user-2"], locale: "en", variables: ["code": "123456"], rendered: ["text": "123456"],
                    priority: .interactive))
                try await waitUntil("the code is sent", timeout: .seconds(10)) { provider.firstCallTime(code) != nil }
                waits.append(provider.firstCallTime(code)! - start)
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        // "A few seconds" at most, behind another tenant's backlog of 100,000.
        #expect(waits.allSatisfy { $0 < .seconds(5) }, "\(waits)")
        #expect(try await fixture.count(status: "queued") > 50_000, "the backlog was still there")
    }

    @Test(.timeLimit(.minutes(1)))
    func twoWorkersNeverSendTheSameNotificationTwice() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let ids = try await fixture.insert(2000)
        let provider = RecordingProvider(delay: .microseconds(200))
        // Each with its own pool, as two processes would be.
        let pools = [PostgresPool(url: fixture.url, size: 4), PostgresPool(url: fixture.url, size: 4)]
        defer { pools.forEach { $0.close() } }
        let workers = pools.enumerated().map { index, pool in
            Worker(configuration: .forTests(concurrency: 16, batch: 16 + index * 16),
                   store: Store(pool: pool, keyring: fixture.store.keyring),
                   providers: { _ in provider }, logger: .quiet, builtInTemplates: [])
        }
        let running = workers.map { worker in Task { await worker.run() } }
        try await waitUntil("all sent", timeout: .seconds(40)) { try await fixture.count(status: "sent") == 2000 }
        workers.forEach { $0.shutdown() }
        for task in running { await task.value }
        let delivered = provider.delivered
        #expect(delivered.count == 2000 && Set(delivered.keys) == Set(ids))
        #expect(delivered.values.allSatisfy { $0 == 1 }, "duplicates: \(delivered.filter { $0.value > 1 })")
        #expect(workers.allSatisfy { $0.metrics.sent > 0 }, "both did part of the work: \(workers.map(\.metrics.sent))")
        #expect(workers.map(\.metrics.sent).reduce(0, +) == 2000)
    }
}
