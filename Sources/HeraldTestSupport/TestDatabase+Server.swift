import Foundation
import LocalPostgres
import Postgres
#if canImport(Glibc)
import Glibc
#endif

extension LocalPostgresCluster.Binaries {
    /// `HERALD_PG_BIN` and `PATH` of the test process: tests have no
    /// `Configuration`, so test support reads these two itself.
    public static var testEnvironment: LocalPostgresCluster.Binaries {
        let environment = ProcessInfo.processInfo.environment
        return LocalPostgresCluster.Binaries(explicitDirectory: environment["HERALD_PG_BIN"],
                                             searchPath: environment["PATH"] ?? "")
    }
}

/// The process-wide server behind `TestDatabase`.
final class TestServer: @unchecked Sendable {
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
            let cluster = try LocalPostgresCluster.start(directory: directory, forTests: true, binaries: .testEnvironment)
            TestServer.clusterDirectory = cluster.directory
            TestServer.postmasterPIDFile = cluster.dataDirectory + "/postmaster.pid"
            atexit { TestServer.stopClusterAtExit() }
            url = cluster.url()
        }
        // Every test creates and drops its database through these two
        // connections; when a whole suite starts at once on a loaded machine
        // the queue is long, and waiting for a turn is no test's failure.
        let created = (PostgresPool(configuration: .init(url: url, size: 2, acquireTimeout: .seconds(300),
                                                           connectTimeout: TestDatabase.connectTimeout)), url)
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
