import API
import Crypto
import Foundation
import Logging
import Postgres
import Store
import Worker

/// `herald dev`: everything on one machine with no setup. Keeps its secrets
/// and (without DATABASE_URL) its own PostgreSQL under `.herald/`, migrates,
/// seeds a demo platform user and tenant, prints how to call the API, and
/// serves until Ctrl-C.
enum DevCommand {
    static let demoEmail = "demo@herald.local"

    static func run(_ arguments: [String]) async throws -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        let folder = URL(fileURLWithPath: environment["HERALD_DEV_DIR"] ?? ".herald").standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try letPostgresPassThrough(folder)
        var merged = try devSecrets(folder: folder)
        merged.merge(environment) { _, fromEnvironment in fromEnvironment }
        // Development peers (a local mail catcher, a webhook receiver) listen on loopback.
        if merged["HERALD_OUTBOUND_ALLOW"] == nil { merged["HERALD_OUTBOUND_ALLOW"] = "127.0.0.0/8,::1/128" }

        var cluster: LocalPostgresCluster?
        if merged["DATABASE_URL"]?.isEmpty ?? true {
            printOut("Starting a private PostgreSQL in \(folder)/postgres …")
            let started = try LocalPostgresCluster.start(directory: folder + "/postgres")
            cluster = started
            if !(try databaseExists(started, "herald")) { try started.createDatabase("herald") }
            merged["DATABASE_URL"] = started.url(database: "herald")
        }
        defer {
            if let cluster {
                printOut("Stopping the private PostgreSQL …")
                try? cluster.stop()
            }
        }

        let configuration = try Configuration(environment: merged)
        let secrets = try configuration.requireSecrets()
        let logger = Logger(label: "herald", level: configuration.logLevel)
        let services = Services(configuration: configuration, databaseURL: try configuration.requireDatabaseURL(),
                                masterKey: secrets.masterKey, jwtSecret: secrets.jwtSecret,
                                poolSize: configuration.apiPoolSize, logger: logger)
        defer { services.close() }
        try await services.migrator.migrate(services.pool) { migration in
            printOut("applied migration \(String(format: "%04d", migration.version))_\(migration.name)")
        }

        await services.sealLegacyChannelSecrets()
        let userId = try await services.store.ensurePlatformUser(email: demoEmail, name: "Demo")
        let tenantId: String
        if let existing = try await services.store.firstTenantId(memberId: userId) {
            tenantId = existing
        } else {
            tenantId = try await services.store.createTenant(
                Store.NewTenant(name: "Demo Tenant", slug: "demo", environment: "development", orgId: nil),
                creatorId: userId, seed: services.apiContext().tenantSeed).id
        }
        guard let keys = try await services.store.tenantEnvironment(id: tenantId) else {
            throw ConfigurationError("the demo tenant has no keys")
        }
        let token = Authenticator.issueToken(platformUserId: userId, email: demoEmail, secret: secrets.jwtSecret)

        let server = try APIServer.start(services: services)
        // The worker runs in the same process; without HERALD_SMTP_URL or
        // HERALD_SMS_URL, email_pxyz and sms_pxyz write to the outbox folder.
        let outbox = URL(fileURLWithPath: folder + "/outbox")
        try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
        let delivery = try DeliveryProviders(configuration: configuration, outbox: outbox)
        let worker = services.makeWorker(configuration: try WorkerCommand.workerSettings(merged), providers: delivery.lookup)
        let working = Task { await worker.run() }
        let base = "http://\(configuration.host):\(server.port)"
        printOut("""

            Herald is running at \(base)  (Ctrl-C stops it)

              platform user   \(demoEmail)
              bearer token    \(token)
              tenant id       \(tenantId)
              public key      \(keys.publicKey)
              secret key      \(keys.secretKey)

            Try:
              curl -s \(base)/api/v0/auth/tenants/\(tenantId) \\
                -H 'x-protocol-public-key: \(keys.publicKey)' \\
                -H 'x-protocol-secret-key: \(keys.secretKey)'

              curl -s \(base)/api/v0/tenants -H 'Authorization: Bearer \(token)'

            Emails and SMS without a configured server land in \(outbox.path).

            """)
        _ = await Signals.waitForTermination()
        printOut("Shutting down …")
        await server.shutdown()
        worker.shutdown()
        await working.value
        await delivery.shutdown()
        return 0
    }

    /// Run as root, the private PostgreSQL runs as `postgres`, which must pass
    /// through this folder to its own (0700) one below. An older Herald made
    /// the folder 0700; it may be entered (not listed) by others, since what
    /// it holds is private on its own (secrets.env 0600, data/ 0700).
    static func letPostgresPassThrough(_ folder: String) throws {
        guard geteuid() == 0 else { return }
        let attributes = try FileManager.default.attributesOfItem(atPath: folder)
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o755
        if mode & 0o011 != 0o011 {
            try FileManager.default.setAttributes([.posixPermissions: mode | 0o011], ofItemAtPath: folder)
        }
    }

    /// The master key and JWT secret of this dev folder, made on first run.
    static func devSecrets(folder: String) throws -> [String: String] {
        let path = folder + "/secrets.env"
        if !FileManager.default.fileExists(atPath: path) {
            let text = "HERALD_MASTER_KEY=\(MasterKey.generateHex())\nHERALD_JWT_SECRET=\(Hex.encode(SecureRandom.bytes(32)))\n"
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw ConfigurationError("cannot write \(path)")
            }
        }
        var values: [String: String] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        return values
    }

    static func databaseExists(_ cluster: LocalPostgresCluster, _ name: String) throws -> Bool {
        let connection = try PostgresConnection(url: cluster.url())
        defer { connection.close() }
        return !(try connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]).isEmpty)
    }
}
