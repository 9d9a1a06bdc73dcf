import API
import Crypto
import Foundation
import HeraldTestSupport
import JSON
import Testing

/// Bearer tokens: a token must expire and its user must exist, on every
/// route that takes one (issue #11).
@Suite struct TokenAPITests {
    static let bearerRoutes = ["/api/v0/tenants", "/api/v0/user/whoami", "/api/v0/user/invitations"]

    @Test func aCorrectlySignedTokenWithoutExpiryIsRefused() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "no-exp@example.com")
            guard case .bearer(_, let userId) = owner else { return }
            let now = Int(Date().timeIntervalSince1970)
            let forever = JWT.signHS256(claims: ["sub": .string(userId), "email": "no-exp@example.com", "iat": .int(now)],
                                        secret: api.jwtSecret)
            for path in Self.bearerRoutes {
                let refused = try await api.call("GET", path, .bearer(forever, userId: userId))
                #expect(refused.status == 401, "\(path): \(refused.bodyString)")
                #expect(try refused.json()["code"] == "UNAUTHORIZED")
                // The same user with a token that expires is let in.
                #expect(try await api.call("GET", path, owner).status == 200, "\(path)")
            }
        }
    }

    @Test func aDeletedUsersTokenIsRefusedOnEveryRoute() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "stays@example.com")
            let tenant = try await api.tenant(owner: owner)

            // Deleted before this process ever saw it.
            let ghost = try await api.token(email: "ghost@example.com")
            try await Self.delete(ghost, api)
            try await Self.expectRefusedEverywhere(ghost, tenantId: tenant.id, api)

            // Seen, then deleted by this process: refused at once.
            let leaver = try await api.token(email: "leaver@example.com")
            #expect(try await api.call("GET", "/api/v0/tenants", leaver).status == 200)
            try await Self.delete(leaver, api)
            guard case .bearer(_, let leaverId) = leaver else { return }
            api.services.authenticator.forget(platformUserId: leaverId)
            try await Self.expectRefusedEverywhere(leaver, tenantId: tenant.id, api)

            // Seen, then deleted elsewhere (another replica, an operator): refused once
            // the few seconds it is cached are over. Polled with a generous deadline.
            #expect(try await api.call("GET", "/api/v0/tenants/\(tenant.id)", owner).status == 200)
            try await Self.delete(owner, api)
            let deadline = ContinuousClock.now + .seconds(60)
            var status = 0
            while ContinuousClock.now < deadline {
                status = try await api.call("GET", "/api/v0/tenants", owner).status
                if status == 401 { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(status == 401)
            try await Self.expectRefusedEverywhere(owner, tenantId: tenant.id, api)
        }
    }

    static func delete(_ credential: Credential, _ api: APIHarness) async throws {
        guard case .bearer(_, let userId) = credential else { return }
        let deleted = try await api.pool.withConnection { connection in
            try connection.query("DELETE FROM platform_users WHERE id = $1", [userId]).affectedRows
        }
        #expect(deleted == 1)
    }

    static func expectRefusedEverywhere(_ credential: Credential, tenantId: String, _ api: APIHarness,
                                        sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let calls: [(String, String, String?)] = Self.bearerRoutes.map { ("GET", $0, nil) } + [
            ("GET", "/api/v0/tenants/\(tenantId)", nil),
            ("POST", "/api/v0/tenants", #"{"name":"Ghost Inc","environment":"development"}"#),
            ("POST", "/api/v0/user/invitations/cnosuchinvitation0000000/accept", nil),
        ]
        for (method, path, json) in calls {
            let response = try await api.call(method, path, credential, json: json)
            #expect(response.status == 401, "\(method) \(path): \(response.status) \(response.bodyString)",
                    sourceLocation: sourceLocation)
        }
    }
}
