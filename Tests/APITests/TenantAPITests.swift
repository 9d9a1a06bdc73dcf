import API
import Foundation
import HeraldTestSupport
import JSON
import Testing

/// The tenant endpoints end to end: HTTP, auth, validation, PostgreSQL, and
/// every response checked against the contract's schema.
@Suite struct TenantAPITests {
    @Test func createReadUpdateDeleteThroughTheContract() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let created = try await api.contractCall("POST", "/api/v0/tenants", owner,
                                                     json: #"{"name":"Acme Corp","slug":"acme-corp","environment":"production"}"#)
            #expect(created.status == 200)
            let tenant = try created.json()
            let id = try #require(tenant["id"]?.stringValue)
            #expect(tenant["slug"] == "acme-corp")
            #expect(tenant["environment"] == "production")
            #expect(tenant["publicKey"]?.stringValue?.hasPrefix("pk_") == true)

            let list = try await api.contractCall("GET", "/api/v0/tenants", owner)
            #expect(try list.json().arrayValue?.compactMap { $0["id"]?.stringValue } == [id])

            for path in ["/api/v0/tenants/\(id)", "/api/v0/tenants/slug/acme-corp",
                         "/api/v0/tenants/pkey/\(tenant["publicKey"]?.stringValue ?? "")"] {
                let got = try await api.call("GET", path, owner)
                #expect(got.status == 200, "\(path)")
                #expect(try got.json()["id"]?.stringValue == id)
            }

            let updated = try await api.contractCall("PUT", "/api/v0/tenants/\(id)", owner, json: #"{"name":"Acme Renamed"}"#)
            #expect(try updated.json()["name"] == "Acme Renamed")
            #expect(try updated.json()["slug"] == "acme-corp")

            let auth = try await api.contractCall("GET", "/api/v0/auth/tenants/\(id)", owner)
            #expect(try auth.json()["auth"]?["emailVerificationRequired"] == true)

            let deleted = try await api.contractCall("DELETE", "/api/v0/tenants/\(id)", owner)
            #expect(deleted.bodyString == "true")
            #expect(try await api.call("GET", "/api/v0/tenants/\(id)", owner).status == 404)
        }
    }

    @Test func keyPairGrantsItsOwnTenantOnly() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "keys@example.com")
            let first = try await api.tenant(owner: owner, name: "First Tenant")
            let second = try await api.tenant(owner: owner, name: "Second Tenant")

            let own = try await api.contractCall("GET", "/api/v0/auth/tenants/\(first.id)", first.keys)
            #expect(own.status == 200)
            // Another tenant's key pair: 404, never 403, so existence does not leak.
            let other = try await api.call("GET", "/api/v0/auth/tenants/\(first.id)", second.keys)
            #expect(other.status == 404)
            #expect(try other.json()["code"] == "NOT_FOUND")

            guard case .keys(let publicKey, _) = first.keys else { return }
            let wrongSecret = try await api.call("GET", "/api/v0/auth/tenants/\(first.id)",
                                                 .keys(public: publicKey, secret: "sk_wrong"))
            #expect(wrongSecret.status == 401)
            #expect(try wrongSecret.json()["code"] == "UNAUTHORIZED")
            let none = try await api.contractCall("GET", "/api/v0/auth/tenants/\(first.id)")
            #expect(none.status == 401)
            // Platform routes take only bearer tokens.
            #expect(try await api.call("GET", "/api/v0/tenants", first.keys).status == 401)
            // The legacy header names work too.
            let legacy = try await api.call("GET", "/api/v0/auth/tenants/\(first.id)", nil,
                                            headers: first.keys.headers.map { ($0.0.replacingOccurrences(of: "protocol-", with: ""), $0.1) })
            #expect(legacy.status == 200)
        }
    }

    @Test func bearerTokensFollowMembershipAndRoles() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "boss@example.com")
            let stranger = try await api.token(email: "stranger@example.com")
            let tenant = try await api.tenant(owner: owner)
            #expect(try await api.call("GET", "/api/v0/tenants/\(tenant.id)", stranger).status == 404)
            #expect(try await api.call("GET", "/api/v0/auth/tenants/\(tenant.id)", stranger).status == 404)
            #expect(try await api.call("GET", "/api/v0/tenants", .bearer("not.a.jwt", userId: "")).status == 401)
            // A well-formed token signed with another secret.
            let forgedToken = Authenticator.issueToken(platformUserId: "cforged00000000000000000", email: "x@example.com",
                                                       secret: api.jwtSecret + "x")
            let forged = try await api.call("GET", "/api/v0/tenants", .bearer(forgedToken, userId: ""))
            #expect(forged.status == 401)

            // A member without the config roles may read the tenant but not its settings.
            guard case .bearer(_, let strangerId) = stranger else { return }
            try await api.pool.withConnection { connection in
                _ = try connection.query("""
                    INSERT INTO tenant_members (id, tenant_id, platform_user_id, role_view_users)
                    VALUES ('cmember000000000000000001', $1, $2, true)
                    """, [tenant.id, strangerId])
            }
            #expect(try await api.call("GET", "/api/v0/tenants/\(tenant.id)", stranger).status == 200)
            let forbidden = try await api.call("PUT", "/api/v0/auth/tenants/\(tenant.id)", stranger, json: "{}")
            #expect(forbidden.status == 403)
            #expect(try forbidden.json()["code"] == "FORBIDDEN")
        }
    }

    @Test func rotatingTheSecretKeyRevokesTheOldOne() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "rotate@example.com")
            let tenant = try await api.tenant(owner: owner)
            #expect(try await api.call("GET", "/api/v0/auth/tenants/\(tenant.id)", tenant.keys).status == 200)
            let rotated = try await api.contractCall("POST", "/api/v0/tenants/\(tenant.id)/rotate-secret-key", owner)
            #expect(try rotated.json()["status"] == "success")
            #expect(try await api.call("GET", "/api/v0/auth/tenants/\(tenant.id)", tenant.keys).status == 401)
            let env = try await api.contractCall("GET", "/api/v0/auth/tenants/\(tenant.id)/env", owner)
            let secret = try #require(try env.json()["PXYZ_SECRET_KEY"]?.stringValue)
            guard case .keys(let publicKey, let oldSecret) = tenant.keys else { return }
            #expect(secret != oldSecret)
            #expect(try await api.call("GET", "/api/v0/auth/tenants/\(tenant.id)",
                                       .keys(public: publicKey, secret: secret)).status == 200)
            // Secrets never sit in the database in clear.
            let stored = try await api.pool.withConnection { connection in
                try connection.query("SELECT secret_key_enc || secret_key_digest FROM tenants WHERE id = $1", [tenant.id])[0]
                    .decode(0, as: String.self)
            }
            #expect(!stored.contains(secret))
        }
    }

    @Test func validationNamesEachField() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "valid@example.com")
            let bad = try await api.contractCall("POST", "/api/v0/tenants", owner,
                                                 json: #"{"name":"abc","environment":"moon","slug":"Not A Slug"}"#)
            #expect(bad.status == 400)
            let body = try bad.json()
            #expect(body["message"] == "Input validation failed")
            let issues = body["issues"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            #expect(issues.count == 3, "\(issues)")
            #expect(issues.contains { $0.hasPrefix("name:") })
            #expect(issues.contains { $0.hasPrefix("environment:") })
            #expect(issues.contains { $0.hasPrefix("slug:") })

            let malformed = try await api.contractCall("POST", "/api/v0/tenants", owner, json: #"{"name": "#)
            #expect(malformed.status == 400)
            #expect(try malformed.json()["code"] == "PARSE_ERROR")

            _ = try await api.call("POST", "/api/v0/tenants", owner, json: #"{"name":"Taken","slug":"taken-slug","environment":"staging"}"#)
            let conflict = try await api.contractCall("POST", "/api/v0/tenants", owner,
                                                      json: #"{"name":"Taken Again","slug":"taken-slug","environment":"staging"}"#)
            #expect(conflict.status == 409)
            #expect(try conflict.json()["code"] == "CONFLICT")
            // Nothing was lost: the first tenant is still the only one with that slug.
            #expect(try await api.call("GET", "/api/v0/tenants/slug/taken-slug", owner).status == 200)
        }
    }

    @Test func settingsAndBrand() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "settings@example.com")
            let tenant = try await api.tenant(owner: owner)
            let updated = try await api.contractCall("PUT", "/api/v0/auth/tenants/\(tenant.id)", tenant.keys,
                                                     json: #"{"nameRequired":true,"homeUri":"https://acme.test","organizationsEnabled":true}"#)
            #expect(try updated.json()["auth"]?["nameRequired"] == true)
            #expect(try updated.json()["auth"]?["homeUri"] == "https://acme.test")
            let wrongType = try await api.call("PUT", "/api/v0/auth/tenants/\(tenant.id)", tenant.keys,
                                               json: #"{"nameRequired":"yes","emailChannelId":"cnotmine00000000000000000"}"#)
            #expect(wrongType.status == 400)
            #expect(try wrongType.json()["issues"]?.arrayValue?.count == 2)

            let session = try await api.contractCall("PUT", "/api/v0/auth/tenants/\(tenant.id)/session", tenant.keys,
                                                     json: #"{"sessionMaximumLifetime":3600}"#)
            #expect(try session.json()["auth"]?["sessionMaximumLifetime"] == 3600)
            // The session route changes only session settings: any other key is refused.
            let other = try await api.call("PUT", "/api/v0/auth/tenants/\(tenant.id)/session", owner,
                                           json: #"{"sessionMaximumLifetime":60,"nameRequired":false}"#)
            #expect(other.status == 400 && other.bodyString.contains("nameRequired: Unrecognized key"), "\(other.bodyString)")
            #expect(try await api.call("GET", "/api/v0/auth/tenants/\(tenant.id)", owner).json()["auth"]?["nameRequired"] == true)

            let brand = try await api.call("GET", "/api/v0/tenants/\(tenant.id)/brand", owner)
            #expect(try brand.json().objectValue?.count == 40)
            let refused = try await api.call("PUT", "/api/v0/tenants/\(tenant.id)/brand", owner,
                                             json: ##"{"primary":"#ff0000","darkPrimary":"#00ff00","unknown":"x"}"##)
            #expect(refused.status == 400, "an unknown brand key is refused, not ignored")
            let changed = try await api.call("PUT", "/api/v0/tenants/\(tenant.id)/brand", owner,
                                             json: ##"{"primary":"#ff0000","darkPrimary":"#00ff00"}"##)
            #expect(try changed.json()["primary"] == "#ff0000")
            #expect(try changed.json()["darkPrimary"] == "#00ff00")
            #expect(try changed.json()["unknown"] == nil)
        }
    }

    @Test func pagingOverAThousandRowsFromOneStatement() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "pages@example.com")
            let tenant = try await api.tenant(owner: owner)
            // 1,000 members inserted by one statement share one created_at.
            try await api.pool.withConnection { connection in
                _ = try connection.query("""
                    WITH u AS (
                      INSERT INTO platform_users (id, email)
                      SELECT 'cpageuser' || lpad(g::text, 16, '0'), 'user' || g || '@example.com' FROM generate_series(1, 1000) g
                      RETURNING id)
                    INSERT INTO tenant_members (id, tenant_id, platform_user_id)
                    SELECT 'cpagemember' || substr(id, 10), $1, id FROM u
                    """, [tenant.id])
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let query = cursor.map { "?perPage=37&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? "?perPage=37"
                let page = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/members\(query)", owner)
                let body = try page.json()
                seen += body["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                #expect(body["meta"]?["total"] == 1001)
                #expect(body["meta"]?["perPage"] == 37)
                cursor = body["meta"]?["next"]?.stringValue
                pages += 1
            } while cursor != nil && pages < 100
            #expect(pages == 28)
            #expect(seen.count == 1001)
            #expect(Set(seen).count == 1001)
        }
    }

    @Test func unknownRoutesAndMethodsAnswerInTheContractShape() async throws {
        try await APIHarness.with { api in
            let missing = try await api.call("GET", "/api/v0/nothing-here")
            #expect(missing.status == 404)
            #expect(try missing.json() == ["message": "Not found", "code": "NOT_FOUND"])
            let wrongMethod = try await api.call("PATCH", "/api/v0/tenants")
            #expect(wrongMethod.status == 405)
            #expect(try wrongMethod.json()["code"] == "METHOD_NOT_SUPPORTED")
            let health = try await api.call("GET", "/healthz")
            #expect(health.status == 200)
            let ready = try await api.call("GET", "/api/v0/readyz")
            #expect(ready.status == 200)
        }
    }
}

