import Foundation
import HeraldTestSupport
import Postgres
import Testing

/// `PostgresPool.query`: statements of concurrent callers share pipelines,
/// and each caller gets its own result, its own error, and nothing else.
@Suite struct PipelineTests {
    /// One sender, so concurrent statements must queue up behind each other
    /// and go out together.
    func withPipelinePool<T>(_ body: (PostgresPool) async throws -> T) async throws -> T {
        let database = try await TestDatabase.create()
        let pool = PostgresPool(configuration: .init(url: database.url, size: 4, pipelineSenders: 1))
        defer { pool.close() }
        let result = try await body(pool)
        pool.close()
        try await database.drop()
        return result
    }

    /// Runs `count` concurrent queries; answers each one's result or error by index.
    func concurrently(_ pool: PostgresPool, _ count: Int,
                      _ statement: @escaping @Sendable (Int) -> (String, [(any PostgresBind)?])) async -> [Int: Result<PostgresRows, any Error>] {
        await withTaskGroup(of: (Int, Result<PostgresRows, any Error>).self) { group in
            for i in 0..<count {
                group.addTask {
                    let (sql, params) = statement(i)
                    do { return (i, .success(try await pool.query(sql, params))) } catch { return (i, .failure(error)) }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
    }

    @Test func sendersStayWithinThePool() {
        #expect(PostgresPool.Configuration(url: "x", size: 2, pipelineSenders: 10).pipelineSenders == 2)
        #expect(PostgresPool.Configuration(url: "x", size: 8, pipelineSenders: 0).pipelineSenders == 1)
        let automatic = PostgresPool.Configuration(url: "x", size: 64).pipelineSenders
        #expect(automatic == min(64, max(2, ProcessInfo.processInfo.activeProcessorCount)))
        #expect(PostgresPool.Configuration(url: "x", size: 1).pipelineSenders == 1)
    }

    @Test func concurrentCallersEachGetTheirOwnRows() async throws {
        try await withPipelinePool { pool in
            let results = await concurrently(pool, 300) { i in ("SELECT $1::int * 2 AS doubled, $2::text AS tag", [i, "t\(i)"]) }
            for i in 0..<300 {
                let row = try #require(try results[i]?.get().first)
                #expect(try row.decode("doubled", as: Int.self) == i * 2)
                #expect(try row.decode("tag", as: String.self) == "t\(i)")
            }
            #expect(pool.largestPipeline > 1, "statements queued behind a round trip went out together")
            #expect(pool.stats.inUse == 0)
        }
    }

    @Test func anErrorStaysWithItsStatement() async throws {
        try await withPipelinePool { pool in
            try await pool.withConnection { try $0.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)") }
            // Every fifth statement divides by zero, every seventh carries a
            // NUL byte (refused before sending), every eleventh breaks the key.
            let results = await concurrently(pool, 200) { i in
                if i % 7 == 3 { return ("SELECT $1::text", ["bad\u{0}byte"]) }
                if i % 11 == 4 { return ("INSERT INTO notes VALUES (1, $1) RETURNING id", ["dup \(i)"]) }
                return ("SELECT 100 / $1::int AS q", [i % 5 == 0 ? 0 : i])
            }
            var inserted = 0
            for i in 0..<200 {
                let result = try #require(results[i])
                if i % 7 == 3 {
                    #expect(throws: PostgresError.self) { try result.get() }
                } else if i % 11 == 4 {
                    if case .success = result { inserted += 1 } else {
                        #expect((try? result.get()) == nil)
                        if case .failure(let error as PostgresError) = result { #expect(error.sqlState == "23505") }
                    }
                } else if i % 5 == 0 {
                    if case .failure(let error as PostgresError) = result { #expect(error.sqlState == "22012") } else {
                        Issue.record("statement \(i) should have divided by zero")
                    }
                } else {
                    #expect(try result.get()[0].decode("q", as: Int.self) == 100 / i)
                }
            }
            #expect(inserted == 1, "one insert of the key won, each in its own transaction")
            #expect(try await pool.query("SELECT count(*)::int AS n FROM notes")[0].decode("n", as: Int.self) == 1)
        }
    }

    /// DDL that changes a prepared statement's result type: the pipelined
    /// statement is prepared again and answers with the new shape.
    @Test func aStatementWhoseResultTypeChangedIsPreparedAgain() async throws {
        try await withPipelinePool { pool in
            try await pool.withConnection { try $0.execute("CREATE TABLE shapes (a int); INSERT INTO shapes VALUES (1)") }
            let before = await concurrently(pool, 40) { _ in ("SELECT * FROM shapes", []) }
            #expect(try before.values.allSatisfy { try $0.get()[0].columns == ["a"] })
            try await pool.withConnection { try $0.execute("ALTER TABLE shapes ADD COLUMN b int DEFAULT 2") }
            let after = await concurrently(pool, 40) { _ in ("SELECT * FROM shapes", []) }
            for result in after.values {
                let row = try result.get()[0]
                #expect(row.columns == ["a", "b"])
                #expect(try row.decode("b", as: Int.self) == 2)
            }
        }
    }

    /// Parameters over the pipeline limit go one statement at a time (which
    /// this cannot observe); here each must still get its own answer.
    @Test func largeParametersAreAnsweredToTheirOwnCallers() async throws {
        try await withPipelinePool { pool in
            let big = String(repeating: "x", count: 40_000)
            let results = await concurrently(pool, 20) { i in ("SELECT length($1::text) + $2::int AS n", [big, i]) }
            for i in 0..<20 {
                let row = try #require(try results[i]?.get().first)
                #expect(try row.decode("n", as: Int.self) == 40_000 + i)
            }
        }
    }
}
