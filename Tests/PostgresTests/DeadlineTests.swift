import Foundation
import HeraldTestSupport
import Postgres
import Testing

/// Every wait on the server has a deadline: past it the statement is
/// cancelled on the server and the connection dropped, and the pool carries on.
@Suite struct DeadlineTests {
    private static let short = PostgresSessionOptions(queryTimeout: .milliseconds(300))

    /// Polls `condition` (every 50 ms, up to 15 s): server-side effects of a
    /// cancel arrive asynchronously.
    private func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func aStatementPastItsDeadlineIsCancelledAndItsConnectionDropped() async throws {
        try await withPool(size: 1) { pool, database in
            let connection = try PostgresConnection(url: database.url, options: Self.short)
            let error = #expect(throws: PostgresError.self) { try connection.query("SELECT pg_sleep(60) AS slept") }
            #expect(error?.code == .timeout)
            #expect(error?.isConnectionError == true)
            #expect(!connection.isConnected)
            // The server stops running it (cancelled in the background).
            let gone = try await eventually {
                try await pool.query("SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%'")[0]
                    .decode("n", as: Int.self) == 0
            }
            #expect(gone)
            // The same connection object reconnects when asked to.
            try connection.reconnectIfNeeded()
            #expect(try connection.query("SELECT 1 AS one")[0].decode("one", as: Int.self) == 1)
        }
    }

    @Test func aLockWaitTimesOutAndThePoolRecovers() async throws {
        try await withPool(size: 1) { admin, database in
            try await admin.withConnection { try $0.execute("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)") }
            let holder = try PostgresConnection(url: database.url)
            try holder.execute("BEGIN")
            try holder.query("UPDATE t SET v = v + 1 WHERE id = $1", [1])
            let pool = PostgresPool(configuration: .init(url: database.url, size: 2, session: Self.short))
            defer { pool.close() }
            await #expect(throws: PostgresError.self) {
                try await pool.query("UPDATE t SET v = v + 10 WHERE id = $1", [1])
            }
            let waitingGone = try await eventually {
                try await admin.query("SELECT count(*) AS n FROM pg_locks WHERE NOT granted")[0].decode("n", as: Int.self) == 0
            }
            #expect(waitingGone, "the timed-out UPDATE still waits for its lock on the server")
            try holder.execute("COMMIT")
            try await pool.query("UPDATE t SET v = v + 10 WHERE id = $1", [1])
            #expect(try await pool.query("SELECT v FROM t WHERE id = $1", [1])[0].decode("v", as: Int.self) == 11)
        }
    }

    /// A request's calls share one deadline: each would be allowed 30 s on
    /// its own, but the first lock wait ends when the request's 1 s does,
    /// and the calls after it get only the pool's last half second each
    /// instead of waiting in turn.
    @Test func aRequestsCallsShareOneDeadline() async throws {
        try await withPool(size: 1) { admin, database in
            try await admin.withConnection { try $0.execute("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)") }
            let holder = try PostgresConnection(url: database.url)
            try holder.execute("BEGIN")
            try holder.query("UPDATE t SET v = v + 1 WHERE id = $1", [1])
            let patient = PostgresSessionOptions(queryTimeout: .seconds(30))
            let pool = PostgresPool(configuration: .init(url: database.url, size: 2, session: patient))
            defer { pool.close() }
            let start = ContinuousClock.now
            var failures: [PostgresError.Code] = []
            await pool.withRequestDeadline(.seconds(1)) {
                for _ in 0..<3 {
                    do {
                        try await pool.query("UPDATE t SET v = v + 10 WHERE id = $1", [1])
                    } catch let error as PostgresError {
                        failures.append(error.code)
                    } catch {}
                }
            }
            let elapsed = ContinuousClock.now - start
            // The first waits out the request's second on the lock; the others get the half-second
            // floor, spent on the lock or (on a loaded machine) on reconnecting the dropped connection.
            #expect(failures.count == 3)
            #expect(failures.first == .timeout)
            #expect(failures.allSatisfy { $0 == .timeout || $0 == .connectionFailed }, "\(failures)")
            // One call's 30 s, or three of them, would be far past this.
            #expect(elapsed < .seconds(10), "the request took \(elapsed)")
            // Cancelled on the server too (in the background): none of them
            // still waits to apply once the lock is free.
            let waitingGone = try await eventually {
                try await admin.query("SELECT count(*) AS n FROM pg_locks WHERE NOT granted")[0].decode("n", as: Int.self) == 0
            }
            #expect(waitingGone)
            try holder.execute("ROLLBACK")
            try await pool.query("UPDATE t SET v = v + 10 WHERE id = $1", [1])
            #expect(try await pool.query("SELECT v FROM t WHERE id = $1", [1])[0].decode("v", as: Int.self) == 10)
        }
    }

    @Test func aPipelinePastItsDeadlineFailsEveryStatementAndThePoolRecovers() async throws {
        try await withPool(size: 1) { _, database in
            let pool = PostgresPool(configuration: .init(url: database.url, size: 1, pipelineSenders: 1, session: Self.short))
            defer { pool.close() }
            _ = try await pool.query("SELECT 1 AS one")
            let results = await withTaskGroup(of: Bool.self) { group in
                group.addTask { (try? await pool.query("SELECT pg_sleep(30) AS slept")) != nil }
                for _ in 0..<5 { group.addTask { (try? await pool.query("SELECT 2 AS two")) != nil } }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count < 6, "the sleeping statement cannot have succeeded")
            #expect(try await pool.query("SELECT 3 AS three")[0].decode("three", as: Int.self) == 3)
        }
    }

    @Test func statementNamesFollowTheirSQL() async throws {
        try await withPool(size: 1) { _, database in
            let a = try PostgresConnection(url: database.url)
            let b = try PostgresConnection(url: database.url)
            // Prepared in a different order on two sessions, each statement
            // gets the same name on both, and different statements differ.
            try a.query("SELECT 1 AS x WHERE $1::int > 0", [1])
            try a.query("SELECT 2 AS x WHERE $1::int > 0", [1])
            try b.query("SELECT 2 AS x WHERE $1::int > 0", [1])
            try b.query("SELECT 1 AS x WHERE $1::int > 0", [1])
            let names = { (c: PostgresConnection) in
                try c.query("SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE 'SELECT _ AS x%' ORDER BY statement")
                    .map { try $0.decode("name", as: String.self) }
            }
            let namesA = try names(a), namesB = try names(b)
            #expect(namesA.count == 2)
            #expect(namesA == namesB)
            #expect(Set(namesA).count == 2)
        }
    }
}
