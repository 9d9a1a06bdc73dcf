import API
import Crypto
import Foundation
import HeraldCore
import HeraldTestSupport
import Logging
import Store
import Testing

/// The network between Herald and PostgreSQL goes silent (a proxy that stops
/// passing bytes, as dropped packets do): requests fail with a clean 503
/// within the query deadline or the pool timeout instead of hanging for TCP's
/// retransmission backoff, /readyz says so within about 2 s, /healthz stays
/// up, and once the network is back requests succeed within seconds.
@Suite struct PartitionTests {
    @Test func requestsFailFastDuringAPartitionAndRecoverAfterIt() async throws {
        let database = try await TestDatabase.cloned(template: "migrated") { try await Migrator().migrate($0) }
        let proxy = try await TestTCPProxy.start()
        defer { proxy.stop() }
        let url = proxy.url(database: database.name)
        let jwtSecret = Hex.encode(SecureRandom.bytes(32))
        let configuration = try Configuration(environment: [
            "DATABASE_URL": url, "HERALD_PORT": "0", "HERALD_MASTER_KEY": MasterKey.generateHex(),
            "HERALD_JWT_SECRET": jwtSecret, "HERALD_DATABASE_QUERY_TIMEOUT_MS": "1000",
            "HERALD_DATABASE_CONNECT_TIMEOUT": "2",
        ])
        let services = Services(configuration: configuration, databaseURL: url,
                                masterKey: try configuration.requireSecrets().masterKey, jwtSecret: jwtSecret,
                                poolSize: 4, logger: Logger(label: "test", level: .error))
        let server = try APIServer.start(services: services, port: 0)
        let userId = try await services.store.ensurePlatformUser(email: "partition@example.com")
        let token = Authenticator.issueToken(platformUserId: userId, email: "partition@example.com", secret: jwtSecret)
        let headers = [("Authorization", "Bearer \(token)")]
        let port = server.port
        #expect(try await TestHTTPClient.request(port: port, path: "/api/v0/tenants", headers: headers).status == 200)
        #expect(try await TestHTTPClient.request(port: port, path: "/readyz").status == 200)

        proxy.partition()
        // Probes answer on their own deadline, not the requests' pool.
        let probeStart = ContinuousClock.now
        let notReady = try await TestHTTPClient.request(port: port, path: "/readyz")
        let probeTook = ContinuousClock.now - probeStart
        #expect(notReady.status == 503)
        #expect(probeTook < .seconds(4), "/readyz took \(probeTook)")
        let metricsStart = ContinuousClock.now
        #expect(try await TestHTTPClient.request(port: port, path: "/metrics").status == 200)
        #expect(ContinuousClock.now - metricsStart < .seconds(5))
        #expect(try await TestHTTPClient.request(port: port, path: "/healthz").status == 200)
        // More requests than connections: each fails cleanly, none waits
        // past the pool timeout (10 s) plus a deadline.
        let outcomes = try await withThrowingTaskGroup(of: (Int, Duration).self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let start = ContinuousClock.now
                    let response = try await TestHTTPClient.request(port: port, path: "/api/v0/tenants", headers: headers)
                    return (response.status, ContinuousClock.now - start)
                }
            }
            return try await group.reduce(into: [(Int, Duration)]()) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0.0 == 503 }, "\(outcomes.map(\.0))")
        let longest = outcomes.map(\.1).max() ?? .zero
        #expect(longest < .seconds(12), "a request waited \(longest)")

        proxy.heal()
        let healed = ContinuousClock.now
        var recovered = false
        while !recovered && ContinuousClock.now - healed < .seconds(20) {
            let response = try await TestHTTPClient.request(port: port, path: "/api/v0/tenants", headers: headers)
            recovered = response.status == 200
            if !recovered {
                #expect(response.status == 503, "only clean failures while recovering: \(response.bodyString)")
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let recovery = ContinuousClock.now - healed
        print("partition: /readyz answered 503 in \(probeTook), the longest of 8 requests waited \(longest), "
              + "recovered \(recovery) after the network came back")
        #expect(recovered)
        #expect(recovery < .seconds(10), "recovery took \(recovery)")
        #expect(try await TestHTTPClient.request(port: port, path: "/readyz").status == 200)
        await server.shutdown()
        services.close()
        try await database.drop()
    }
}
