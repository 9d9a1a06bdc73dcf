import Foundation
import LocalPostgres
import Postgres
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL restart in the middle of a run, on a private cluster (the
/// shared test server must not be restarted under other tests).
@Suite struct RestartTests {
    @Test(.timeLimit(.minutes(1)))
    func poolAndListenerRecoverFromServerRestart() async throws {
        // The `herald-pg-test-<pid>-` prefix lets TestDatabase sweep it up
        // if this process dies before cleaning up.
        let directory = NSTemporaryDirectory() + "herald-pg-test-\(getpid())-restart-\(UInt32.random(in: 0...UInt32.max))"
        let cluster = try await onThread { try LocalPostgresCluster.start(directory: directory, port: 0, forTests: true, binaries: .testEnvironment) }
        let tcpURL = try #require(cluster.tcpURL())
        defer {
            try? cluster.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let pool = PostgresPool(url: cluster.url(), size: 4, acquireTimeout: .seconds(3))
        defer { pool.close() }
        // The listener goes over TCP, the pool over the Unix socket.
        let listener = PostgresListener(url: tcpURL, reconnectDelay: .milliseconds(50),
                                        maxReconnectDelay: .milliseconds(250))
        defer { listener.stop() }
        let events = EventLog()
        let consumer = Task {
            for await event in listener.notifications { events.append("\(event.kind):\(event.payload)") }
        }
        defer { consumer.cancel() }
        try await listener.listen("events")

        // Warm up: open every pooled connection, and leave one query running.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { _ = try await pool.withConnection { try $0.query("SELECT pg_sleep(0.05)") } } }
            try await group.waitForAll()
        }
        #expect(pool.stats.total == 4)
        try await pool.withConnection { try $0.query("SELECT pg_notify('events', 'before')") }
        try await waitFor { events.values.contains("notification:before") }
        let inFlight = Task { try await pool.withConnection { try $0.query("SELECT pg_sleep(30)") } }
        while pool.stats.inUse == 0 { try await Task.sleep(for: .milliseconds(5)) }

        // Server goes away: the running query and new calls fail fast.
        try await onThread { try cluster.stop() }
        let (inFlightError, _) = await timed { await #expect(throws: PostgresError.self) { try await inFlight.value } }
        #expect(inFlightError?.code == .connectionLost)
        for _ in 0..<3 {
            let (error, elapsed) = await timed {
                await #expect(throws: PostgresError.self) { try await pool.withConnection { try $0.query("SELECT 1") } }
            }
            #expect(error?.isConnectionError == true)
            #expect(elapsed < 2)
        }
        // Pipelined statements fail fast too, each with a connection error.
        let (pipelinedErrors, pipelinedElapsed) = await timed {
            await withTaskGroup(of: PostgresError?.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        do { _ = try await pool.query("SELECT $1::int", [i]); return nil } catch { return error as? PostgresError }
                    }
                }
                return await group.reduce(into: [PostgresError?]()) { $0.append($1) }
            }
        }
        #expect(pipelinedErrors.count == 8 && pipelinedErrors.allSatisfy { $0?.isConnectionError == true })
        #expect(pipelinedElapsed < 5)
        try await waitFor { !listener.isConnected }

        // Server is back: the same pool and listener work again.
        try await onThread { try cluster.start() }
        let pipelined = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<16 { group.addTask { try await pool.query("SELECT $1::int AS v", [i])[0].decode("v", as: Int.self) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(pipelined.sorted() == Array(0..<16))
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<8 {
                group.addTask { try await pool.withConnection { try $0.query("SELECT $1::int AS v", [i])[0].decode("v", as: Int.self) } }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(values.sorted() == Array(0..<8))
        try await waitFor { events.values.contains("reconnected:") && listener.isConnected }
        try await pool.withConnection { try $0.query("SELECT pg_notify('events', 'after')") }
        try await waitFor { events.values.contains("notification:after") }
        #expect(events.values == ["notification:before", "reconnected:", "notification:after"])

        // Starting again on the same directory adopts the running server.
        let again = try await onThread { try LocalPostgresCluster.start(directory: directory, forTests: true, binaries: .testEnvironment) }
        #expect(again.port == cluster.port && again.listensOnTCP)
        let connectedTo = try await onThread {
            try again.createDatabase("extra_db")
            let connection = try PostgresConnection(url: again.url(database: "extra_db"))
            let name = try connection.query("SELECT current_database() AS d")[0].decode("d", as: String.self)
            connection.close()
            try again.dropDatabase("extra_db")
            return name
        }
        #expect(connectedTo == "extra_db")
        #expect(throws: PostgresError.self) { try again.createDatabase("bad-name\"") }
    }
}

/// Polls `condition` every 10 ms until it holds; fails after `seconds`.
func waitFor(seconds: Double = 10, _ condition: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        guard Date() < deadline else {
            Issue.record("condition not met within \(seconds)s")
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
