import Foundation
import HeraldTestSupport
import Postgres
import Testing

/// Herald through Debian's PgBouncer (1.18), the way managed PostgreSQL
/// offerings deploy it: server sessions shared per transaction.
@Suite(.serialized) struct PgBouncerTests {
    /// Runs `body` with a database that has two one-parameter lookups which
    /// answer differently, and PgBouncer in front of it.
    private func withBouncer(mode: String = "transaction", ignoreStartupOptions: Bool = false,
                             _ body: (TestPgBouncer, TestDatabase) async throws -> Void) async throws {
        try await withPool(size: 1) { pool, database in
            try await pool.withConnection { connection in
                try connection.execute("""
                    CREATE TABLE fruits (id int PRIMARY KEY, name text NOT NULL);
                    CREATE TABLE colours (id int PRIMARY KEY, name text NOT NULL);
                    INSERT INTO fruits SELECT i, 'fruit ' || i FROM generate_series(1, 50) i;
                    INSERT INTO colours SELECT i, 'colour ' || i FROM generate_series(1, 50) i;
                    """)
            }
            let bouncer = try await TestPgBouncer.start(mode: mode, poolSize: 3, ignoreStartupOptions: ignoreStartupOptions)
            defer { bouncer.stop() }
            try await body(bouncer, database)
        }
    }

    /// 200 concurrent lookups of two statements with the same parameter
    /// count; every answer is checked against the statement that was asked.
    private func concurrentLookups(_ pool: PostgresPool) async -> (right: Int, wrong: Int, failed: [String]) {
        await withTaskGroup(of: (Bool?, String?).self) { group in
            for i in 0..<200 {
                group.addTask {
                    let id = i % 50 + 1
                    let table = i % 2 == 0 ? "fruits" : "colours"
                    let noun = i % 2 == 0 ? "fruit" : "colour"
                    do {
                        let rows = try await pool.query("SELECT name FROM \(table) WHERE id = $1", [id])
                        let name = try rows.first?.decode("name", as: String.self)
                        return (name == "\(noun) \(id)", nil)
                    } catch {
                        return (nil, "\(error)")
                    }
                }
            }
            var right = 0, wrong = 0
            var failed: [String] = []
            for await (correct, error) in group {
                switch correct {
                case true?: right += 1
                case false?: wrong += 1
                case nil: failed.append(error ?? "")
                }
            }
            return (right, wrong, failed)
        }
    }

    @Test func transactionModeAnswersEveryQueryCorrectly() async throws {
        try await withBouncer { bouncer, database in
            let pool = PostgresPool(configuration: .init(
                url: bouncer.url(database: database.name), size: 16,
                session: PostgresSessionOptions(poolMode: .transaction, queryTimeout: .seconds(30))))
            defer { pool.close() }
            let result = await concurrentLookups(pool)
            #expect(result.right == 200, "wrong \(result.wrong), failed \(result.failed.prefix(3))")
            // Transactions keep their statements on one server session.
            let total = try await pool.withTransaction { connection -> Int in
                try connection.query("INSERT INTO fruits VALUES ($1, $2)", [1000, "extra"])
                return try connection.query("SELECT count(*) AS n FROM fruits WHERE id >= $1", [1000])[0].decode("n")
            }
            #expect(total == 1)
        }
    }

    @Test func transactionModeKeepsUTCWhateverOthersSet() async throws {
        try await withBouncer { bouncer, database in
            let options = PostgresSessionOptions(poolMode: .transaction, queryTimeout: .seconds(30))
            let other = try PostgresConnection(url: bouncer.url(database: database.name), options: options)
            try other.execute("SET TimeZone TO 'Asia/Tokyo'")
            let pool = PostgresPool(configuration: .init(url: bouncer.url(database: database.name), size: 8, session: options))
            defer { pool.close() }
            let zones = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await pool.query("SELECT current_setting('TimeZone') AS zone")[0].decode("zone") }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(zones == ["UTC"])
            #expect(try other.query("SELECT current_setting('TimeZone') AS zone")[0].decode("zone", as: String.self) == "Asia/Tokyo")
        }
    }

    @Test func sessionSettingsThroughAPoolerAreRefusedWithAdvice() async throws {
        try await withBouncer { bouncer, database in
            let error = #expect(throws: PostgresError.self) {
                try PostgresConnection(url: bouncer.url(database: database.name))
            }
            #expect(error?.code == .connectionFailed)
            #expect(error?.message.contains("HERALD_DATABASE_POOL_MODE=transaction") == true, "\(String(describing: error))")
        }
    }

    /// The failure the issue found: session mode (named statements) behind a
    /// transaction-mode pooler. Statements may fail, but none runs another
    /// statement's SQL, and the sharing is reported.
    @Test func namedStatementsOnASharedSessionNeverRunAnotherQuery() async throws {
        try await withBouncer(ignoreStartupOptions: true) { bouncer, database in
            let reports = ReportCounter()
            let pool = PostgresPool(configuration: .init(
                url: bouncer.url(database: database.name), size: 16,
                session: PostgresSessionOptions(poolMode: .session, queryTimeout: .seconds(30),
                                                onSharedSession: { _ in reports.add() })))
            defer { pool.close() }
            var wrong = 0
            for _ in 0..<3 {
                let result = await concurrentLookups(pool)
                wrong += result.wrong
                for failure in result.failed {
                    #expect(failure.contains("prepared statement"), "\(failure)")
                }
            }
            #expect(wrong == 0)
            #expect(reports.count > 0)
        }
    }

    @Test func aListenerBehindATransactionPoolerIsFoundDeaf() async throws {
        try await withBouncer { bouncer, database in
            let deaf = ReportCounter()
            let pooled = bouncer.url(database: database.name)
            let listener = PostgresListener(url: pooled, poolMode: .transaction,
                                            pingInterval: .milliseconds(200), pingTimeout: .milliseconds(500),
                                            pingVia: (pooled, PostgresSessionOptions(poolMode: .transaction)),
                                            onDeaf: { _ in deaf.add() })
            defer { listener.stop() }
            // LISTEN direct, pings (like the application's NOTIFYs) through the pooler: all heard.
            let direct = PostgresListener(url: database.url, pingInterval: .milliseconds(200), pingTimeout: .seconds(5),
                                          pingVia: (pooled, PostgresSessionOptions(poolMode: .transaction)))
            defer { direct.stop() }
            let deadline = ContinuousClock.now + .seconds(20)
            while (deaf.count == 0 || direct.pingStats.answered < 3) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(deaf.count > 0)
            #expect(direct.pingStats.answered >= 3)
            #expect(direct.pingStats.deaf == 0)
        }
    }
}

/// A thread-safe counter for callbacks.
final class ReportCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() { lock.withLock { value += 1 } }
    var count: Int { lock.withLock { value } }
}
