import Basics
import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// A fresh, empty database for one test (or suite), on a real PostgreSQL.
///
/// The server is `HERALD_TEST_DATABASE_URL` (an admin URL to a throwaway
/// cluster, e.g. started by the CI script) when set; otherwise one
/// process-wide `LocalPostgresCluster` in a temp directory, started lazily on
/// first use and stopped at process exit (atexit). Clusters left behind by a
/// crashed test process are removed the next time one starts.
///
///     let db = try await TestDatabase.create()
///     let pool = db.pool()
///     defer { pool.close() }
///     ...
///     try await db.drop()
public struct TestDatabase: Sendable {
    public let name: String
    public let url: String

    public static func create() async throws -> TestDatabase {
        let admin = try await onThread { try TestServer.shared.adminPool() }
        let name = TestServer.shared.nextName()
        try await admin.pool.withConnection { try $0.execute("CREATE DATABASE \"\(name)\"") }
        return TestDatabase(name: name, url: replacingDatabase(in: admin.url, with: name))
    }

    /// A pool on this database; close it when done.
    public func pool(size: Int = 4, acquireTimeout: Duration = .seconds(10)) -> PostgresPool {
        PostgresPool(configuration: .init(url: url, size: size, acquireTimeout: acquireTimeout, connectTimeout: Self.connectTimeout))
    }

    /// Seconds a test's connection may take to start. The suite runs 700 tests at once against
    /// one server on two cores: starting a backend there has taken more than the production
    /// default of 5 s, and that is the suite's crowd, not what a test is about.
    public static let connectTimeout = 30

    /// Drops the database, disconnecting anyone still connected.
    public func drop() async throws {
        let admin = try await onThread { try TestServer.shared.adminPool() }
        let name = self.name
        try await admin.pool.withConnection { try $0.execute("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)") }
    }

    /// The admin URL of the shared test server (for tests that need the
    /// `postgres` database or superuser rights).
    public static func adminURL() async throws -> String {
        try await onThread { try TestServer.shared.adminPool() }.url
    }
}

/// Blocking work (initdb, pg_ctl, libpq) off Swift's cooperative pool.
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await onOwnThread(work)
}

/// `url` with its database replaced by `name`; handles URIs
/// (`postgres://u@h:5432/db?x=y`) and key=value strings (a later `dbname`
/// wins there).
func replacingDatabase(in url: String, with name: String) -> String {
    guard let scheme = url.range(of: "://") else { return url + " dbname=\(name)" }
    let rest = url[scheme.upperBound...]
    let query = rest.firstIndex(of: "?") ?? rest.endIndex
    let pathStart = rest[..<query].firstIndex(of: "/") ?? query
    return String(url[..<pathStart]) + "/" + name + String(url[query...])
}
