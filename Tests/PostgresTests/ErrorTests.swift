import Foundation
import Postgres
import Testing

@Suite struct ErrorTests {
    @Test func uniqueViolationHasSQLStateAndConstraint() async throws {
        try await withPool { pool, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { conn in
                    try conn.execute("CREATE TABLE users (id int PRIMARY KEY, email text CONSTRAINT users_email_key UNIQUE)")
                    try conn.query("INSERT INTO users VALUES ($1, $2)", [1, "a@example.com"])
                    try conn.query("INSERT INTO users VALUES ($1, $2)", [2, "a@example.com"])
                }
            }
            #expect(error?.code == .query)
            #expect(error?.sqlState == "23505")
            #expect(error?.isUniqueViolation == true)
            #expect(error?.constraint == "users_email_key")
            #expect(error?.table == "users")
            // The row value is in `detail` only, never in the description.
            #expect(error?.detail?.contains("a@example.com") == true)
            #expect(error.map { "\($0)".contains("a@example.com") } == false)
            // The connection is still usable afterwards.
            let count = try await pool.withConnection { try $0.query("SELECT count(*) AS n FROM users")[0].decode("n", as: Int.self) }
            #expect(count == 1)
        }
    }

    @Test func foreignKeyAndSyntaxErrors() async throws {
        try await withPool { pool, _ in
            let fk = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { conn in
                    try conn.execute("""
                        CREATE TABLE parent (id int PRIMARY KEY);
                        CREATE TABLE child (parent_id int CONSTRAINT child_parent_fk REFERENCES parent(id));
                        """)
                    try conn.query("INSERT INTO child VALUES ($1)", [42])
                }
            }
            #expect(fk?.isForeignKeyViolation == true)
            #expect(fk?.constraint == "child_parent_fk")

            let syntax = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try $0.query("SELEC 1") }
            }
            #expect(syntax?.sqlState == "42601")
            #expect(syntax?.query == "SELEC 1")
        }
    }

    @Test func parameterValuesNeverAppearInErrors() async throws {
        try await withPool { pool, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try $0.query("SELECT $1::int", ["hunter2-secret"]) }
            }
            #expect(error?.sqlState == "22P02")
            #expect(error.map { "\($0) \($0.message) \($0.detail ?? "")".contains("hunter2") } == false)
        }
    }

    @Test func serializationFailureIsRecognisable() async throws {
        try await withPool(size: 2) { pool, _ in
            try await pool.withConnection { conn in
                try conn.execute("CREATE TABLE counter (n int); INSERT INTO counter VALUES (0)")
            }
            // Two serializable transactions that both read then write the row.
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { a in
                    try a.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
                    try a.query("SELECT n FROM counter")
                    let other = try PostgresConnection(url: a.url)
                    try other.transaction(isolation: .serializable) {
                        try other.query("UPDATE counter SET n = n + 1")
                    }
                    try a.query("UPDATE counter SET n = n + 1")
                }
            }
            #expect(error?.isSerializationFailure == true)
        }
    }

    @Test func connectionFailureIsClear() throws {
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection(url: "postgresql:///postgres?host=/nonexistent-herald-dir&connect_timeout=2")
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.isConnectionError == true)
    }
}
