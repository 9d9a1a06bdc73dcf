import API
import Basics
import Crypto
import Foundation
import HeraldTestSupport
import Postgres
import Store
import Testing

/// The `herald` executable itself: configuration errors, migrate, token
/// create, and a graceful stop on SIGTERM that lets a request in flight finish.
@Suite struct ProcessTests {
    /// `swift build` puts the executable beside the test bundle.
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) async throws -> Run {
        try await TestHTTPClient.offload {
            let process = try ChildProcess(HeraldProcesses.binaryPath, arguments,
                                           environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
                                               .merging(environment) { $1 },
                                           input: .pipe, output: .pipe, error: .pipe)
            process.standardInput!.write(Data((input ?? "").utf8))
            try process.standardInput!.close()
            let stdout = process.standardOutput!.readDataToEndOfFile()
            let stderr = process.standardError!.readDataToEndOfFile()
            return Run(status: process.waitUntilExit(), stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
        }
    }

    @Test func versionHelpAndRefusals() async throws {
        let version = try await Self.run(["--version"])
        #expect(version.status == 0)
        #expect(!version.stdout.isEmpty)
        let help = try await Self.run(["--help"])
        #expect(help.stdout.contains("token create --email"))
        let unknown = try await Self.run(["frobnicate"])
        #expect(unknown.status == 64)
        // serve refuses to start without its two secrets, with a clear message.
        let noSecrets = try await Self.run(["serve"], environment: ["DATABASE_URL": "postgresql:///nowhere"])
        #expect(noSecrets.status == 78)
        #expect(noSecrets.stderr.contains("HERALD_MASTER_KEY"))
        let badKey = try await Self.run(["serve"], environment: ["HERALD_MASTER_KEY": "abc", "HERALD_JWT_SECRET": String(repeating: "x", count: 40)])
        #expect(badKey.status == 78)
        #expect(badKey.stderr.contains("64 hex digits"))
        let badSenders = try await Self.run(["serve"], environment: ["HERALD_API_PIPELINE_SENDERS": "0"])
        #expect(badSenders.status == 78)
        #expect(badSenders.stderr.contains("HERALD_API_PIPELINE_SENDERS"), "\(badSenders.stderr)")
        let badLimit = try await Self.run(["serve"], environment: ["HERALD_RATE_LIMIT_ADDRESS_PER_HOUR": "-1"])
        #expect(badLimit.status == 78)
        #expect(badLimit.stderr.contains("HERALD_RATE_LIMIT_ADDRESS_PER_HOUR"), "\(badLimit.stderr)")
        // Outbound settings are checked at start too (issue 11).
        for (name, value) in [("HERALD_OUTBOUND_ALLOW", "127.0.0.0/8,not-a-range"), ("HERALD_OUTBOUND_ALLOW", "10.0.0.1/8"),
                              ("HERALD_SMTP_CA_FILE", "/nonexistent/ca.pem"), ("HERALD_WORKER_BATCH", "0"),
                              ("HERALD_WORKER_METRICS_PORT", "70000"), ("HERALD_SHUTDOWN_SECONDS", "soon")] {
            let bad = try await Self.run(["worker"], environment: [name: value])
            #expect(bad.status == 78 && bad.stderr.contains(name), "\(name)=\(value): \(bad.stderr)")
        }
    }

    @Test func renderForTemplateAuthors() async throws {
        let ok = try await Self.run(["render", "--json"], input: """
            {"template": "Hi {{name}} {{> sig}}", "data": {"name": "<Ann>"}, "partials": {"sig": "-- {{team}}"}}
            """)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout == "Hi &lt;Ann&gt; -- ")
        let plain = try await Self.run(["render", "--json"], input: #"{"template": "{{name}}", "data": {"name": "<Ann>"}, "escape": "none"}"#)
        #expect(plain.stdout == "<Ann>")
        let broken = try await Self.run(["render", "--json"], input: #"{"template": "line one\n  {{#items}}", "data": {}}"#)
        #expect(broken.status == 65)
        #expect(broken.stderr.hasPrefix("2:3: "), "\(broken.stderr)")
        #expect(broken.stdout.isEmpty)
        let notJSON = try await Self.run(["render", "--json"], input: "{")
        #expect(notJSON.status != 0)

        let directory = NSTemporaryDirectory() + "herald-render-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory + "/partials", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "Dear {{user.name}},{{> footer}}".write(toFile: directory + "/mail.mustache", atomically: true, encoding: .utf8)
        try " bye".write(toFile: directory + "/partials/footer.mustache", atomically: true, encoding: .utf8)
        try #"{"user": {"name": "Bo"}}"#.write(toFile: directory + "/data.json", atomically: true, encoding: .utf8)
        let file = try await Self.run(["render", directory + "/mail.mustache", "--data", directory + "/data.json",
                                       "--partials", directory + "/partials"])
        #expect(file.status == 0, "\(file.stderr)")
        #expect(file.stdout == "Dear Bo, bye")
    }

    @Test func migrateAndTokenCreate() async throws {
        let database = try await TestDatabase.create()
        defer { Task { try? await database.drop() } }
        let environment = ["DATABASE_URL": database.url, "HERALD_MASTER_KEY": MasterKey.generateHex(),
                           "HERALD_JWT_SECRET": Hex.encode(SecureRandom.bytes(32))]
        let first = try await Self.run(["migrate"], environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("applied 0001_schema"))
        let second = try await Self.run(["migrate"], environment: environment)
        #expect(second.stdout.contains("up to date"))

        let token = try await Self.run(["token", "create", "--email", "ops@example.com"], environment: environment)
        #expect(token.status == 0, "\(token.stderr)")
        let lines = token.stdout.split(separator: "\n")
        #expect(lines.count == 1, "only the token on standard output")
        let payload = try JWT.verifyHS256(token: String(lines[0]), secret: environment["HERALD_JWT_SECRET"]!)
        #expect(payload.email == "ops@example.com")
    }

    /// Two replicas starting at once on an empty database: each migration is
    /// applied by exactly one of them, and both end up current.
    @Test func concurrentMigrationsApplyEachOnce() async throws {
        let database = try await TestDatabase.create()
        defer { Task { try? await database.drop() } }
        let environment = ["DATABASE_URL": database.url, "HERALD_MASTER_KEY": MasterKey.generateHex(),
                           "HERALD_JWT_SECRET": Hex.encode(SecureRandom.bytes(32))]
        async let first = Self.run(["migrate"], environment: environment)
        async let second = Self.run(["migrate"], environment: environment)
        let runs = try await [first, second]
        #expect(runs.allSatisfy { $0.status == 0 }, "\(runs.map(\.stderr))")
        let applied = runs.flatMap { $0.stdout.split(separator: "\n").filter { $0.contains("applied ") } }
        #expect(applied.count == Migrator().migrations.count, "\(applied)")
        #expect(Set(applied).count == applied.count, "no migration applied twice")
    }

    @Test func sigtermLetsTheRequestInFlightFinish() async throws {
        let database = try await TestDatabase.cloned(template: "migrated") { try await Migrator().migrate($0) }
        defer { Task { try? await database.drop() } }
        let masterKey = MasterKey.generateHex()
        let jwtSecret = Hex.encode(SecureRandom.bytes(32))
        let pool = database.pool(size: 2)
        defer { pool.close() }
        let store = Store(pool: pool, keyring: Keyring(masterKey: try MasterKey(hex: masterKey)))
        let userId = try await store.ensurePlatformUser(email: "term@example.com")
        let tenant = try await store.createTenant(Store.NewTenant(name: "Slow Tenant", slug: nil, environment: "staging",
                                                                  orgId: nil), creatorId: userId)
        let token = Authenticator.issueToken(platformUserId: userId, email: "term@example.com", secret: jwtSecret)
        let port = try freePort()

        let process = try ChildProcess(HeraldProcesses.binaryPath, ["serve"],
                                       environment: ["DATABASE_URL": database.url, "HERALD_MASTER_KEY": masterKey, "HERALD_JWT_SECRET": jwtSecret,
                                                     "HERALD_PORT": String(port), "HERALD_LOG_LEVEL": "error"],
                                       error: .inherit)
        defer { process.signal(SIGKILL); process.waitUntilExit() }
        var up = false
        for _ in 0..<100 where !up {
            up = (try? await TestHTTPClient.request(port: port, path: "/healthz").status) == 200
            if !up { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(up)

        // Hold the tenant's row so the update waits inside Herald.
        let locker = PostgresPool(url: database.url, size: 1)
        defer { locker.close() }
        let release = AsyncSemaphoreLite()
        let lockTask = Task {
            try await locker.withConnection { connection in
                _ = try connection.execute("BEGIN")
                _ = try connection.query("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE", [tenant.id])
                release.wait()
                _ = try connection.execute("COMMIT")
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        async let slow = TestHTTPClient.request(port: port, method: "PUT", path: "/api/v0/tenants/\(tenant.id)",
                                                headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                                                body: Array(#"{"name":"Renamed Slowly"}"#.utf8), timeout: .seconds(20))
        try await Task.sleep(for: .milliseconds(300))
        kill(process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        #expect(process.isRunning, "the server waits for the request in flight")
        release.signal()
        let response = try await slow
        try await lockTask.value
        #expect(response.status == 200)
        #expect(response.bodyString.contains("Renamed Slowly"))
        let exited = try await TestHTTPClient.offload { process.waitUntilExit() }
        #expect(exited == 0)
    }
}

/// A port nothing listens on right now.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A one-shot gate between a test and a blocking thread.
final class AsyncSemaphoreLite: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func wait() { semaphore.wait() }
    func signal() { semaphore.signal() }
}
