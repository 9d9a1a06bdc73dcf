import Foundation
import Postgres
import Testing

@Suite struct StatementCacheTests {
    @Test func reusesPreparedStatementsPerSQLText() async throws {
        try await withPool(size: 1) { pool, _ in
            let counts = try await pool.withConnection { conn in
                for i in 0..<5 { try conn.query("SELECT $1::int AS i", [i]) }
                let afterSame = conn.preparedStatementCount
                try conn.query("SELECT $1::int + 1 AS i", [1])
                let afterOther = conn.preparedStatementCount
                let server = try conn.query("SELECT count(*) AS n FROM pg_prepared_statements")[0].decode("n", as: Int.self)
                return (afterSame, afterOther, server)
            }
            #expect(counts.0 == 1)
            #expect(counts.1 == 2)
            #expect(counts.2 == 3) // including the pg_prepared_statements query itself
        }
    }

    @Test func survivesAlterTable() async throws {
        try await withPool(size: 1) { pool, _ in
            let columns = try await pool.withConnection { conn in
                try conn.execute("CREATE TABLE widgets (id int)")
                try conn.query("INSERT INTO widgets VALUES ($1)", [1])
                let before = try conn.query("SELECT * FROM widgets").columns
                try conn.execute("ALTER TABLE widgets ADD COLUMN name text DEFAULT 'w'")
                // Same SQL text: the cached plan's result type changed.
                let after = try conn.query("SELECT * FROM widgets")
                return (before, after.columns, try after[0].decode("name", as: String.self))
            }
            #expect(columns.0 == ["id"])
            #expect(columns.1 == ["id", "name"])
            #expect(columns.2 == "w")
        }
    }

    @Test func staleStatementInsideATransactionFailsOnceThenRecovers() async throws {
        try await withPool(size: 1) { pool, _ in
            try await pool.withConnection { conn in
                try conn.execute("CREATE TABLE gadgets (id int)")
                try conn.query("SELECT * FROM gadgets")
                try conn.execute("ALTER TABLE gadgets ADD COLUMN extra int")
            }
            // In a transaction the failure aborts it, so no silent retry...
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withTransaction { try $0.query("SELECT * FROM gadgets") }
            }
            #expect(error?.sqlState == "0A000")
            // ...but the statement was forgotten, so the retry works.
            let columns = try await pool.withTransaction { try $0.query("SELECT * FROM gadgets").columns }
            #expect(columns == ["id", "extra"])
        }
    }

    @Test func survivesDeallocateAll() async throws {
        try await withPool(size: 1) { pool, _ in
            let value = try await pool.withConnection { conn in
                try conn.query("SELECT $1::int AS v", [1])
                try conn.execute("DEALLOCATE ALL")
                return try conn.query("SELECT $1::int AS v", [2])[0].decode("v", as: Int.self)
            }
            #expect(value == 2)
        }
    }

    @Test func cacheLimitFallsBackToUnnamedStatements() async throws {
        try await withPool(size: 1) { pool, _ in
            let (cached, results) = try await pool.withConnection { conn in
                conn.statementCacheLimit = 2
                let results = try (0..<5).map { i in try conn.query("SELECT \(i) AS v")[0].decode("v", as: Int.self) }
                return (conn.preparedStatementCount, results)
            }
            #expect(cached == 2)
            #expect(results == [0, 1, 2, 3, 4])
        }
    }
}
