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
        PostgresPool(url: url, size: size, acquireTimeout: acquireTimeout)
    }

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

/// Runs blocking work (initdb, pg_ctl) on its own thread, off Swift's
/// cooperative pool.
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
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

private final class TestServer: @unchecked Sendable {
    static let shared = TestServer()

    private let lock = NSLock()
    private var admin: (pool: PostgresPool, url: String)?
    private var counter = 0
    private static let prefix = "herald-pg-test-"

    func nextName() -> String {
        lock.withLock {
            counter += 1
            return "herald_test_\(getpid())_\(counter)"
        }
    }

    /// Starts (once) the server and a small admin pool on its `postgres` db.
    func adminPool() throws -> (pool: PostgresPool, url: String) {
        lock.lock()
        defer { lock.unlock() }
        if let admin { return admin }
        let url: String
        if let given = ProcessInfo.processInfo.environment["HERALD_TEST_DATABASE_URL"], !given.isEmpty {
            url = given
        } else {
            Self.removeStaleClusters()
            let directory = NSTemporaryDirectory() + Self.prefix + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let cluster = try LocalPostgresCluster.start(directory: directory, forTests: true)
            TestServer.clusterDirectory = cluster.directory
            TestServer.postmasterPIDFile = cluster.dataDirectory + "/postmaster.pid"
            atexit { TestServer.stopClusterAtExit() }
            url = cluster.url()
        }
        let created = (PostgresPool(url: url, size: 2), url)
        admin = created
        return created
    }

    // Written once under `lock` before atexit is registered; read at exit.
    nonisolated(unsafe) private static var clusterDirectory: String?
    nonisolated(unsafe) private static var postmasterPIDFile: String?

    /// Immediate shutdown (SIGQUIT to the postmaster) and removal of the
    /// directory. No Process/pg_ctl here: this runs inside exit().
    private static func stopClusterAtExit() {
        guard let directory = clusterDirectory, let pidFile = postmasterPIDFile else { return }
        stopPostmaster(pidFile: pidFile)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func stopPostmaster(pidFile: String) {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let line = text.split(separator: "\n").first, let pid = pid_t(line), pid > 0
        else { return }
        // Only signal it if it really is a postgres process (pids get reused).
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
        guard comm.hasPrefix("postgres") else { return }
        kill(pid, SIGQUIT)
        for _ in 0..<100 where kill(pid, 0) == 0 { usleep(20_000) }
    }

    /// Removes clusters of test processes that died without their atexit.
    private static func removeStaleClusters() {
        let tmp = NSTemporaryDirectory()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] where entry.hasPrefix(prefix) {
            let ownerPID = entry.dropFirst(prefix.count).split(separator: "-").first.flatMap { pid_t($0) }
            guard let ownerPID, ownerPID != getpid(), kill(ownerPID, 0) != 0, errno == ESRCH else { continue }
            stopPostmaster(pidFile: tmp + entry + "/data/postmaster.pid")
            try? FileManager.default.removeItem(atPath: tmp + entry)
        }
    }
}
