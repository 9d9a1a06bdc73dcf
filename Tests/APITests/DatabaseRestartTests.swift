import API
import Crypto
import Foundation
import HeraldCore
import HeraldTestSupport
import LocalPostgres
import Logging
import Postgres
import Store
import Testing

/// PostgreSQL restarts under a running Herald: requests fail cleanly (503 in
/// the contract's shape, quickly) and succeed again once it is back, with no
/// restart of Herald.
@Suite struct DatabaseRestartTests {
    @Test func apiRecoversAfterPostgresRestarts() async throws {
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
                                poolSize: 4, logger: Logger(label: "test", level: .error))
        defer { services.pool.close() }
        try await services.migrator.migrate(services.pool)
        let server = try APIServer.start(services: services, port: 0)
        let userId = try await services.store.ensurePlatformUser(email: "restart@example.com")
        let token = Authenticator.issueToken(platformUserId: userId, email: "restart@example.com", secret: jwtSecret)
        let headers = [("Authorization", "Bearer \(token)")]
        let port = server.port

        #expect(try await TestHTTPClient.request(port: port, path: "/api/v0/tenants", headers: headers).status == 200)

        try await onOwnThread { try cluster.stop() }
        let started = ContinuousClock.now
        let down = try await TestHTTPClient.request(port: port, path: "/api/v0/tenants", headers: headers)
        #expect(down.status == 503)
        #expect(down.bodyString.contains("SERVICE_UNAVAILABLE"))
        #expect(ContinuousClock.now - started < .seconds(6), "a request while PostgreSQL is down must fail fast")
        let notReady = try await TestHTTPClient.request(port: port, path: "/readyz")
        #expect(notReady.status == 503)
        // Liveness does not depend on the database.
        #expect(try await TestHTTPClient.request(port: port, path: "/healthz").status == 200)

        try await onOwnThread { try cluster.start() }
        var recovered = false
        for _ in 0..<40 where !recovered {
            let response = try await TestHTTPClient.request(port: port, path: "/api/v0/tenants", headers: headers)
            if response.status == 200 {
                recovered = true
            } else {
                #expect(response.status == 503, "only clean failures while reconnecting: \(response.bodyString)")
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        #expect(recovered)
        #expect(try await TestHTTPClient.request(port: port, path: "/readyz").status == 200)
        await server.shutdown()
    }
}

/// Blocking work (pg_ctl) off the cooperative pool.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await TestHTTPClient.offload(work)
}
