import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster in a directory, for `herald dev` and tests.
///
/// Layout: `<directory>/data` (PGDATA), `<directory>/socket` (Unix socket),
/// `<directory>/postgres.log`. The server listens on the Unix socket only,
/// plus 127.0.0.1 when a TCP port is asked for. Running as root, initdb and
/// the server run as the `postgres` OS user (PostgreSQL refuses root), and
/// the directory is chowned to it; its parent directories must be
/// traversable by that user (a directory under /tmp is).
public final class LocalPostgresCluster: Sendable {
    public let directory: String
    public let dataDirectory: String
    public let socketDirectory: String
    public let logFile: String
    /// Port number; also names the Unix socket file (`.s.PGSQL.<port>`).
    public let port: Int
    public let listensOnTCP: Bool
    public let binDirectory: String
    public let superuser = "postgres"
    private let serverOptions: String

    /// Initializes the cluster if `directory` has none, then starts it
    /// (or adopts a server already running on that data directory).
    ///
    /// - port: nil = Unix socket only (port 5432 names the socket);
    ///   0 = also listen on 127.0.0.1 on a free port; N = 127.0.0.1:N.
    /// - forTests: durability off (fsync, synchronous_commit,
    ///   full_page_writes) and more connections, for throwaway clusters.
    /// - binaries: where initdb, pg_ctl and postgres are looked for.
    public static func start(directory: String, port: Int? = nil, forTests: Bool = false,
                             binaries: Binaries = Binaries()) throws -> LocalPostgresCluster {
        let binDirectory = try binaries.directory()
        let cluster = try LocalPostgresCluster(directory: directory, port: port, forTests: forTests, binDirectory: binDirectory)
        try cluster.initializeIfNeeded(forTests: forTests)
        if let running = cluster.runningServer() {
            // Adopt it, with the port and socket it was started with.
            return try LocalPostgresCluster(directory: directory, port: running.port, tcp: running.tcp,
                                            socketDirectory: running.socket, forTests: forTests, binDirectory: binDirectory)
        }
        try cluster.start()
        return cluster
    }

    private convenience init(directory: String, port: Int?, forTests: Bool, binDirectory: String) throws {
        let chosen: Int
        if let port { chosen = port == 0 ? try Self.freeTCPPort() : port } else { chosen = 5432 }
        let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
        try self.init(directory: absolute, port: chosen, tcp: port != nil,
                      socketDirectory: absolute + "/socket", forTests: forTests, binDirectory: binDirectory)
    }

    private init(directory: String, port: Int, tcp: Bool, socketDirectory: String, forTests: Bool,
                 binDirectory: String) throws {
        self.directory = directory
        self.dataDirectory = directory + "/data"
        self.socketDirectory = socketDirectory
        self.logFile = directory + "/postgres.log"
        self.port = port
        self.listensOnTCP = tcp
        self.binDirectory = binDirectory
        guard (socketDirectory + "/.s.PGSQL.\(port)").utf8.count < 108 else {
            throw PostgresError(.cluster, "socket path too long (Unix sockets allow 107 bytes): \(socketDirectory)")
        }
        var options = [
            "-k '\(socketDirectory)'", "-p \(port)",
            "-c listen_addresses='\(tcp ? "127.0.0.1" : "")'",
            "-c unix_socket_permissions=0777",
        ]
        if forTests {
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
                        "-c max_connections=300"]
        }
        serverOptions = options.joined(separator: " ")
    }

    /// libpq URL over the Unix socket, e.g.
    /// `postgresql:///herald?host=/dir/socket&port=5432&user=postgres`.
    public func url(database: String = "postgres") -> String {
        let host = socketDirectory.addingPercentEncoding(withAllowedCharacters: Self.urlSafe) ?? socketDirectory
        return "postgresql:///\(database)?host=\(host)&port=\(port)&user=\(superuser)"
    }

    /// `postgresql://postgres@127.0.0.1:<port>/<db>`, when listening on TCP.
    public func tcpURL(database: String = "postgres") -> String? {
        listensOnTCP ? "postgresql://\(superuser)@127.0.0.1:\(port)/\(database)" : nil
    }

    /// Starts the server; no-op when it is already running.
    public func start() throws {
        guard !isRunning else { return }
        try prepareDirectory(socketDirectory)
        try run("pg_ctl", ["start", "-w", "-t", "60", "-s", "-D", dataDirectory, "-l", logFile,
                           "-o", serverOptions])
    }

    /// Fast shutdown (disconnects clients). No-op when not running.
    public func stop() throws {
        guard isRunning else { return }
        try run("pg_ctl", ["stop", "-w", "-t", "60", "-s", "-m", "fast", "-D", dataDirectory])
    }

    public func restart() throws {
        try stop()
        try start()
    }

    public var isRunning: Bool {
        (try? run("pg_ctl", ["status", "-D", dataDirectory], quiet: true)) != nil
    }

    public func createDatabase(_ name: String) throws {
        try Self.validateIdentifier(name)
        try PostgresConnection(url: url()).execute("CREATE DATABASE \"\(name)\"")
    }

    public func dropDatabase(_ name: String) throws {
        try Self.validateIdentifier(name)
        try PostgresConnection(url: url()).execute("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
    }

    // MARK: - Binaries

    /// Where the server binaries are looked for: the caller reads
    /// `HERALD_PG_BIN` and `PATH` (this library reads no environment).
    public struct Binaries: Sendable {
        /// `HERALD_PG_BIN`: used when it holds the tools.
        public var explicitDirectory: String?
        /// `PATH`, colon-separated.
        public var searchPath: String

        public init(explicitDirectory: String? = nil, searchPath: String = "") {
            self.explicitDirectory = explicitDirectory
            self.searchPath = searchPath
        }

        /// The explicit folder, then `searchPath`, then the highest `/usr/lib/postgresql/*/bin`.
        public func directory() throws -> String {
            let fm = FileManager.default
            func hasTools(_ dir: String) -> Bool {
                ["initdb", "pg_ctl", "postgres"].allSatisfy { fm.isExecutableFile(atPath: dir + "/" + $0) }
            }
            if let explicitDirectory, hasTools(explicitDirectory) { return explicitDirectory }
            for dir in searchPath.split(separator: ":").map(String.init) where hasTools(dir) {
                return dir
            }
            let root = "/usr/lib/postgresql"
            let versions = ((try? fm.contentsOfDirectory(atPath: root)) ?? [])
                .filter { hasTools("\(root)/\($0)/bin") }
                .sorted { $0.compare($1, options: .numeric) == .orderedDescending }
            if let best = versions.first { return "\(root)/\(best)/bin" }
            throw PostgresError(.cluster, "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in PATH or /usr/lib/postgresql/*/bin")
        }
    }

    // MARK: - Internals

    private static let urlSafe = CharacterSet(charactersIn:
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/")

    static func validateIdentifier(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count < 64,
              name.utf8.allSatisfy({ $0 == 95 || (48...57).contains($0) || (97...122).contains($0) })
        else { throw PostgresError(.invalidArgument, "invalid database name (use [a-z0-9_]): \(name)") }
    }

    private var runsAsRoot: Bool { geteuid() == 0 }

    private func initializeIfNeeded(forTests: Bool) throws {
        try prepareDirectory(directory)
        guard !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") else { return }
        var args = ["-D", dataDirectory, "-A", "trust", "-E", "UTF8", "--locale=C", "-U", superuser]
        if forTests { args.append("--no-sync") }
        try run("initdb", args)
    }

    /// Creates `path` (0700) owned by the user the server runs as. Folders
    /// above it get the usual permissions, not 0700: the server's user must
    /// be able to pass through them.
    private func prepareDirectory(_ path: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        if runsAsRoot {
            guard let pw = getpwnam("postgres") else {
                throw PostgresError(.cluster, "running as root but there is no `postgres` user to run the server as")
            }
            guard chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid) == 0 else {
                throw PostgresError(.cluster, "chown \(path) failed: errno \(errno)")
            }
        }
    }

    /// Runs a PostgreSQL tool (as `postgres` when we are root); output goes
    /// to `<directory>/ctl.log`, quoted in the error if the tool fails.
    @discardableResult
    private func run(_ tool: String, _ args: [String], quiet: Bool = false) throws -> Int32 {
        let toolPath = binDirectory + "/" + tool
        var argv = [toolPath] + args
        if runsAsRoot {
            let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
                .first { FileManager.default.isExecutableFile(atPath: $0) }
            guard let runuser else { throw PostgresError(.cluster, "running as root, but runuser(1) is missing") }
            argv = [runuser, "-u", "postgres", "--"] + argv
        }
        let outputPath = directory + "/ctl.log"
        let status = try spawnAndWait(argv, output: outputPath)
        guard status == 0 else {
            if quiet { throw PostgresError(.cluster, "\(tool) exited with \(status)") }
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            throw PostgresError(.cluster, "\(tool) \(args.first ?? "") failed (exit \(status)): "
                + text.suffix(2000) + (log.isEmpty ? "" : "\nserver log: " + log.suffix(2000)))
        }
        return status
    }

    /// Port, socket directory and TCP-ness of a server already running on
    /// this data directory (from postmaster.pid), if any.
    private func runningServer() -> (port: Int, socket: String, tcp: Bool)? {
        guard isRunning,
              let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)
        else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 6, let port = Int(lines[3]) else { return nil }
        let address = lines[5].trimmingCharacters(in: .whitespaces)
        return (port, lines[4], !address.isEmpty)
    }

    /// A free port below the kernel's range for outgoing connections: a
    /// server restarted on it (tests stop and start one) cannot find it taken
    /// meanwhile by some client's socket, as a kernel-chosen port could be.
    private static func freeTCPPort() throws -> Int {
        let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
            .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } } ?? 32_768
        if range > 16_000 {
            for _ in 0..<64 {
                let port = Int.random(in: 15_000..<range)
                if try bindable(port) != nil { return port }
            }
        }
        guard let port = try bindable(0) else { throw PostgresError(.cluster, "could not find a free TCP port: errno \(errno)") }
        return port
    }

    /// The port `port` binds to on 127.0.0.1 (the kernel's choice for 0), nil when taken.
    private static func bindable(_ port: Int) throws -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PostgresError(.cluster, "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}
