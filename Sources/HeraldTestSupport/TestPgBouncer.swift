import Basics
import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// A real PgBouncer (Debian's `pgbouncer` package) in front of the test
/// server, on a loopback port of its own: what managed PostgreSQL offerings
/// put between an application and the database.
///
///     let bouncer = try await TestPgBouncer.start(mode: "transaction")
///     defer { bouncer.stop() }
///     let url = bouncer.url(database: db.name)
///
/// Each server session is shared between clients in `transaction` mode, so a
/// small `poolSize` makes every test meet the sharing.
public final class TestPgBouncer: Sendable {
    public let port: Int
    private let directory: String
    private let process: ChildProcess

    private init(port: Int, directory: String, process: ChildProcess) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// A libpq URL for `database` through PgBouncer.
    public func url(database: String) -> String {
        "postgresql://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// `ignoreStartupOptions`: accept (and drop) libpq's `options` startup
    /// parameter instead of refusing the connection, as operators configure
    /// PgBouncer when an application insists on sending it.
    public static func start(mode: String = "transaction", poolSize: Int = 4,
                             ignoreStartupOptions: Bool = false) async throws -> TestPgBouncer {
        let admin = try await TestDatabase.adminURL()
        let server = try await onThread { () -> (socket: String, port: String, user: String) in
            let connection = try PostgresConnection(url: admin)
            let row = try connection.query("""
                SELECT split_part(current_setting('unix_socket_directories'), ',', 1) AS socket,
                       current_setting('port') AS port, current_user AS "user"
                """)[0]
            return (try row.decode("socket"), try row.decode("port"), try row.decode("user"))
        }
        return try await onThread { try launch(server: server, mode: mode, poolSize: poolSize, ignoreOptions: ignoreStartupOptions) }
    }

    private static func launch(server: (socket: String, port: String, user: String), mode: String,
                               poolSize: Int, ignoreOptions: Bool) throws -> TestPgBouncer {
        guard let binary = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else {
            throw TestPgBouncerError(description: "pgbouncer is not installed (apt-get install pgbouncer; deploy/test.sh does)")
        }
        let base = ProcessInfo.processInfo.environment["HERALD_TEST_TMPDIR"] ?? NSTemporaryDirectory()
        let directory = base + "/herald-pgbouncer-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let asRoot = getuid() == 0
        let (probe, port) = try Loopback.bind(listening: false)
        close(probe)
        let config = """
            [databases]
            * = host=\(server.socket) port=\(server.port) user=\(server.user)
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(directory)/users.txt
            pool_mode = \(mode)
            default_pool_size = \(poolSize)
            max_client_conn = 2000
            logfile = \(directory)/pgbouncer.log
            pidfile = \(directory)/pgbouncer.pid
            ignore_startup_parameters = \(ignoreOptions ? "options" : "")
            """
        try config.write(toFile: directory + "/pgbouncer.ini", atomically: true, encoding: .utf8)
        try "\"postgres\" \"\"\n\"\(server.user)\" \"\"\n".write(toFile: directory + "/users.txt", atomically: true,
                                                                   encoding: .utf8)
        // PgBouncer refuses to run as root.
        if asRoot {
            for path in [directory, directory + "/pgbouncer.ini", directory + "/users.txt"] {
                guard let owner = getpwnam("postgres") else { break }
                chown(path, owner.pointee.pw_uid, owner.pointee.pw_gid)
            }
        }
        let process = try ChildProcess(asRoot ? "/usr/sbin/runuser" : binary,
                                       (asRoot ? ["-u", "postgres", "--", binary] : []) + [directory + "/pgbouncer.ini"])
        let bouncer = TestPgBouncer(port: port, directory: directory, process: process)
        for _ in 0..<200 {
            if Loopback.accepts(port: port) { return bouncer }
            guard process.isRunning else { break }
            usleep(50_000)
        }
        let log = (try? String(contentsOfFile: directory + "/pgbouncer.log", encoding: .utf8)) ?? ""
        bouncer.stop()
        throw TestPgBouncerError(description: "pgbouncer did not start: \(log.suffix(2000))")
    }

    /// Stops PgBouncer (by its pid file: runuser may not pass signals on) and
    /// removes its folder.
    public func stop() {
        if let text = try? String(contentsOfFile: directory + "/pgbouncer.pid", encoding: .utf8),
           let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 {
            kill(pid, SIGTERM)
            for _ in 0..<100 where kill(pid, 0) == 0 { usleep(20_000) }
            kill(pid, SIGKILL)
        }
        process.signal(SIGKILL) // runuser, or PgBouncer itself, if still there
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// PgBouncer's log so far (for failure messages).
    public func log() -> String {
        (try? String(contentsOfFile: directory + "/pgbouncer.log", encoding: .utf8)) ?? ""
    }
}

public struct TestPgBouncerError: Error, CustomStringConvertible {
    public let description: String
}
