import API
import Crypto
import Foundation
import HeraldCore
import HeraldTestSupport
import LocalPostgres
import Logging
import Store

/// Herald's API on a PostgreSQL cluster of the test's own, which the test may
/// stop and start (the shared test server must never be restarted): migrated,
/// serving on a free port, with a platform user's bearer token.
struct RestartableHerald {
    let cluster: LocalPostgresCluster
    let services: Services
    let port: Int
    let token: String

    /// Runs `body` against a fresh cluster, then shuts the server down and
    /// removes the cluster.
    static func with(email: String, _ body: (RestartableHerald) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "herald-restart-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let cluster = try await onOwnThread { try LocalPostgresCluster.start(directory: directory, forTests: true, binaries: .testEnvironment) }
        defer {
            try? cluster.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        try await onOwnThread { try cluster.createDatabase("herald") }
        let url = cluster.url(database: "herald")
        let jwtSecret = Hex.encode(SecureRandom.bytes(32))
        let configuration = try Configuration(environment: ["DATABASE_URL": url, "HERALD_PORT": "0",
                                                            "HERALD_MASTER_KEY": MasterKey.generateHex(),
                                                            "HERALD_JWT_SECRET": jwtSecret])
        let services = Services(configuration: configuration, databaseURL: url,
                                masterKey: try configuration.requireSecrets().masterKey, jwtSecret: jwtSecret,
                                poolSize: 4, logger: Logger(label: "test", level: .error, sink: { _ in }))
        defer { services.pool.close() }
        try await services.migrator.migrate(services.pool)
        let server = try APIServer.start(services: services, port: 0)
        let userId = try await services.store.ensurePlatformUser(email: email)
        let token = Authenticator.issueToken(platformUserId: userId, email: email, secret: jwtSecret)
        do {
            try await body(RestartableHerald(cluster: cluster, services: services, port: server.port, token: token))
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    func stopDatabase() async throws { try await onOwnThread { [cluster] in try cluster.stop() } }
    func startDatabase() async throws { try await onOwnThread { [cluster] in try cluster.start() } }
}

/// Blocking work (pg_ctl) off the cooperative pool.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await TestHTTPClient.offload(work)
}
