import Foundation
@testable import HeraldTestSupport
import Postgres
import Testing

@Suite struct TestDatabaseTests {
    @Test func urlDatabaseReplacement() {
        #expect(replacingDatabase(in: "postgres://u:p@h:5432/admin?sslmode=disable", with: "t1")
                == "postgres://u:p@h:5432/t1?sslmode=disable")
        #expect(replacingDatabase(in: "postgresql:///postgres?host=/tmp/x&port=5432", with: "t1")
                == "postgresql:///t1?host=/tmp/x&port=5432")
        #expect(replacingDatabase(in: "postgresql://localhost", with: "t1") == "postgresql://localhost/t1")
        #expect(replacingDatabase(in: "host=/tmp/x dbname=postgres", with: "t1") == "host=/tmp/x dbname=postgres dbname=t1")
    }

    @Test func databasesAreFreshAndSeparate() async throws {
        let a = try await TestDatabase.create()
        let b = try await TestDatabase.create()
        #expect(a.name != b.name)
        let pool = a.pool(size: 1)
        let name = try await pool.withConnection { conn in
            try conn.execute("CREATE TABLE only_in_a (x int)")
            return try conn.query("SELECT current_database() AS d")[0].decode("d", as: String.self)
        }
        pool.close()
        #expect(name == a.name)
        let other = b.pool(size: 1)
        let tables = try await other.withConnection { conn in
            try conn.query("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'only_in_a'")[0].decode("n", as: Int.self)
        }
        other.close()
        #expect(tables == 0)
        try await a.drop()
        try await b.drop()
    }
}
