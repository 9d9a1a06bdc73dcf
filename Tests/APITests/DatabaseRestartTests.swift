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
        try await RestartableHerald.with(email: "restart@example.com") { herald in
            let headers = [("Authorization", "Bearer \(herald.token)")]
            let port = herald.port

            #expect(try await TestHTTPClient.request(port: port, path: "/api/v0/tenants", headers: headers).status == 200)

            try await herald.stopDatabase()
            let started = ContinuousClock.now
            let down = try await TestHTTPClient.request(port: port, path: "/api/v0/tenants", headers: headers)
            #expect(down.status == 503)
            #expect(down.bodyString.contains("SERVICE_UNAVAILABLE"))
            #expect(ContinuousClock.now - started < .seconds(6), "a request while PostgreSQL is down must fail fast")
            let notReady = try await TestHTTPClient.request(port: port, path: "/readyz")
            #expect(notReady.status == 503)
            // Liveness does not depend on the database.
            #expect(try await TestHTTPClient.request(port: port, path: "/healthz").status == 200)

            try await herald.startDatabase()
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
        }
    }
}
