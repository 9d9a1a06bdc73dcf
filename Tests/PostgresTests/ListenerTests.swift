import Foundation
import HeraldTestSupport
import Postgres
import Testing

/// Waits for the next event on `iterator`, failing after `seconds`.
func nextEvent(_ listener: PostgresListener, within seconds: Double = 5) async throws -> PostgresNotification? {
    try await withThrowingTaskGroup(of: PostgresNotification?.self) { group in
        group.addTask {
            var iterator = listener.notifications.makeAsyncIterator()
            return await iterator.next()
        }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

@Suite struct ListenerTests {
    @Test func receivesNotifyFromAnotherConnection() async throws {
        try await withPool(size: 1) { pool, database in
            let listener = PostgresListener(url: database.url)
            defer { listener.stop() }
            try await listener.listen("jobs")
            try await pool.withConnection { try $0.query("SELECT pg_notify($1, $2)", ["jobs", "payload ✓"]) }
            let event = try #require(try await nextEvent(listener))
            #expect(event.kind == .notification)
            #expect(event.channel == "jobs")
            #expect(event.payload == "payload ✓")
            #expect(event.pid > 0)
            #expect(listener.isConnected)
        }
    }

    @Test func notifyInsideTransactionArrivesOnlyAfterCommit() async throws {
        try await withPool(size: 1) { pool, database in
            let listener = PostgresListener(url: database.url)
            defer { listener.stop() }
            try await listener.listen("outbox")
            let events = EventLog()
            let consumer = Task {
                for await event in listener.notifications { events.append(event.payload) }
            }
            defer { consumer.cancel() }
            try await pool.withTransaction { conn in
                try conn.execute("NOTIFY outbox, 'in-tx'")
                // Still inside the transaction: nothing may have arrived.
                Thread.sleep(forTimeInterval: 0.2)
                guard events.values.isEmpty else { throw Boom() }
            }
            let deadline = Date().addingTimeInterval(5)
            while events.values.isEmpty && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(events.values == ["in-tx"])
        }
    }

    @Test func unlistenStopsDelivery() async throws {
        try await withPool(size: 1) { pool, database in
            let listener = PostgresListener(url: database.url)
            defer { listener.stop() }
            try await listener.listen("a")
            try await listener.listen("b")
            try await listener.unlisten("a")
            try await pool.withConnection { conn in
                try conn.execute("NOTIFY a, 'ignored'; NOTIFY b, 'seen'")
            }
            let event = try #require(try await nextEvent(listener))
            #expect(event.channel == "b" && event.payload == "seen")
        }
    }

    @Test func rejectsUnsafeChannelNames() async throws {
        let listener = PostgresListener(url: "postgresql:///postgres?host=/nonexistent-herald-dir")
        defer { listener.stop() }
        for bad in ["", "Jobs", "a-b", "x\"; DROP TABLE t; --", String(repeating: "a", count: 64)] {
            let error = await #expect(throws: PostgresError.self) { try await listener.listen(bad) }
            #expect(error?.code == .invalidArgument)
        }
    }

    @Test func stopFinishesTheStream() async throws {
        try await withPool(size: 1) { _, database in
            let listener = PostgresListener(url: database.url)
            try await listener.listen("x")
            listener.stop()
            var iterator = listener.notifications.makeAsyncIterator()
            #expect(await iterator.next() == nil)
            await #expect(throws: PostgresError.self) { try await listener.listen("y") }
        }
    }
}

final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ s: String) { lock.withLock { items.append(s) } }
    var values: [String] { lock.withLock { items } }
}
