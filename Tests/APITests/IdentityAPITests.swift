import Crypto
import Foundation
import HeraldTestSupport
import JSON
import Testing

/// Social providers (write-only client secrets) and per-tenant JWK certificates.
@Suite struct IdentityAPITests {
    @Test func socialProvidersKeepTheirSecretWriteOnly() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "social@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            let secret = "gh-secret-\(UUID().uuidString)"
            let created = try await api.contractCall("POST", "/api/v0/auth/tenant-social-providers", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","providerKey":"github","enabled":true,"useCustomCredentials":true,
                 "clientId":"Iv1.abc","clientSecret":"\(secret)","redirectUri":"https://app.example.com/cb",
                 "additionalScopes":["read:user","user:email"]}
                """)
            #expect(created.status == 200, "\(created.bodyString)")
            let id = try #require(try created.json()["id"]?.stringValue)
            #expect(try created.json()["additionalScopes"] == ["read:user", "user:email"])

            let list = try await api.contractCall("GET", "/api/v0/auth/tenant-social-providers?tenantId=\(tenant.id)", tenant.keys)
            #expect(try list.json().arrayValue?.count == 1)
            let got = try await api.contractCall("GET", "/api/v0/auth/tenant-social-providers/\(id)", tenant.keys)
            #expect(try got.json()["clientId"] == "Iv1.abc")
            for response in [created, list, got] { #expect(!response.bodyString.contains(secret)) }
            let shown = try await api.contractCall("GET", "/api/v0/auth/tenant-social-providers/\(id)/secret", tenant.keys)
            #expect(try shown.json()["secret"]?.stringValue == secret)

            let stored = try await api.pool.withConnection { connection in
                try connection.query("SELECT row_to_json(s)::text FROM social_providers s WHERE id = $1", [id])[0]
                    .decode(0, as: String.self)
            }
            #expect(!stored.contains(secret) && stored.contains("client_secret_enc"))

            #expect(try await api.call("POST", "/api/v0/auth/tenant-social-providers", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","providerKey":"github","enabled":false}
                """).status == 409)

            // Update without a secret keeps it; a new one replaces it; null clears it.
            let updated = try await api.contractCall("PUT", "/api/v0/auth/tenant-social-providers/\(id)", tenant.keys,
                                                     json: #"{"enabled":false,"redirectUri":null}"#)
            #expect(try updated.json()["enabled"] == false && updated.json()["redirectUri"] == .null)
            #expect(try await api.call("GET", "/api/v0/auth/tenant-social-providers/\(id)/secret", tenant.keys)
                .json()["secret"]?.stringValue == secret)
            _ = try await api.contractCall("PUT", "/api/v0/auth/tenant-social-providers/\(id)", tenant.keys,
                                           json: #"{"clientSecret":"rotated"}"#)
            #expect(try await api.call("GET", "/api/v0/auth/tenant-social-providers/\(id)/secret", tenant.keys)
                .json()["secret"]?.stringValue == "rotated")
            _ = try await api.contractCall("PUT", "/api/v0/auth/tenant-social-providers/\(id)", tenant.keys,
                                           json: #"{"clientSecret":null}"#)
            #expect(try await api.call("GET", "/api/v0/auth/tenant-social-providers/\(id)/secret", tenant.keys)
                .json()["secret"]?.stringValue == "")

            // Another tenant: 404 everywhere, nothing changed.
            for (method, path, body) in [("GET", "/api/v0/auth/tenant-social-providers/\(id)", nil as String?),
                                         ("GET", "/api/v0/auth/tenant-social-providers/\(id)/secret", nil),
                                         ("PUT", "/api/v0/auth/tenant-social-providers/\(id)", #"{"enabled":true}"#),
                                         ("DELETE", "/api/v0/auth/tenant-social-providers/\(id)", nil),
                                         ("GET", "/api/v0/auth/tenant-social-providers?tenantId=\(tenant.id)", nil)] {
                #expect(try await api.call(method, path, other.keys, json: body).status == 404, "\(method) \(path)")
            }
            #expect(try await api.call("GET", "/api/v0/auth/tenant-social-providers/\(id)", tenant.keys).json()["enabled"] == false)

            let deleted = try await api.contractCall("DELETE", "/api/v0/auth/tenant-social-providers/\(id)", tenant.keys)
            #expect(try deleted.json()["deleted"] == true)
            #expect(try await api.call("GET", "/api/v0/auth/tenant-social-providers/\(id)", tenant.keys).status == 404)
        }
    }

    @Test func socialProviderInputIsValidated() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "social-bad@example.com")
            let tenant = try await api.tenant(owner: owner)
            let bad = try await api.call("POST", "/api/v0/auth/tenant-social-providers", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","providerKey":"myspace","redirectUri":"ftp://x","additionalScopes":{"a":1}}
                """)
            #expect(bad.status == 400)
            let issues = try bad.json()["issues"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            for prefix in ["providerKey:", "enabled:", "redirectUri:", "additionalScopes:"] {
                #expect(issues.contains { $0.hasPrefix(prefix) }, "\(prefix) in \(issues)")
            }
            let custom = try await api.call("POST", "/api/v0/auth/tenant-social-providers", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","providerKey":"google","enabled":true,"useCustomCredentials":true}
                """)
            #expect(custom.status == 400)
            #expect(try await api.call("GET", "/api/v0/auth/tenant-social-providers", tenant.keys).status == 400)
            // Without a stored secret the secret route answers an empty one.
            let plain = try await api.contractCall("POST", "/api/v0/auth/tenant-social-providers", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","providerKey":"gitlab","enabled":true}
                """)
            let id = try #require(try plain.json()["id"]?.stringValue)
            let secret = try await api.contractCall("GET", "/api/v0/auth/tenant-social-providers/\(id)/secret", tenant.keys)
            #expect(try secret.json()["secret"] == "")
        }
    }

    @Test func eachTenantGetsARealSigningKey() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "jwk@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            let first = try await api.contractCall("GET", "/api/v0/auth/jwk-certificates?tenantId=\(tenant.id)", tenant.keys)
            #expect(first.status == 200, "\(first.bodyString)")
            let certificates = try #require(try first.json().arrayValue)
            #expect(certificates.count == 1)
            let id = try #require(certificates[0]["id"]?.stringValue)
            let jwk = try JSONParser.parse(Array(try #require(certificates[0]["public"]?.stringValue).utf8))
            #expect(jwk["kty"] == "RSA" && jwk["alg"] == "RS256" && jwk["use"] == "sig")
            let n = try #require(jwk["n"]?.stringValue)
            #expect(Base64URL.decode(n)?.count == 256, "a 2048-bit modulus")
            #expect(jwk["e"] == "AQAB")
            let kid = try #require(jwk["kid"]?.stringValue)
            #expect(kid == PublicJWK.thumbprint(["e": "AQAB", "kty": "RSA", "n": n]))

            // The private key is sealed in the table and opens to the same key.
            let sealed = try await api.pool.withConnection { connection in
                try connection.query("SELECT private_key_enc FROM jwk_certificates WHERE id = $1", [id])[0].decode(0, as: String.self)
            }
            #expect(!sealed.contains("PRIVATE KEY"))
            let pair = try #require(try await api.services.store.jwkKeyPair(id: id, tenantId: tenant.id))
            #expect(pair.kid == kid)

            // Listing again makes no second key.
            let again = try await api.contractCall("GET", "/api/v0/auth/jwk-certificates?tenantId=\(tenant.id)", tenant.keys)
            #expect(try again.json().arrayValue?.map { $0["id"] } == [.string(id)])

            // Another tenant cannot list this one's; concurrent first lists make one key.
            #expect(try await api.call("GET", "/api/v0/auth/jwk-certificates?tenantId=\(tenant.id)", other.keys).status == 404)
            async let a = api.call("GET", "/api/v0/auth/jwk-certificates?tenantId=\(other.id)", other.keys)
            async let b = api.call("GET", "/api/v0/auth/jwk-certificates?tenantId=\(other.id)", other.keys)
            let (ra, rb) = try await (a, b)
            #expect(ra.status == 200 && rb.status == 200)
            #expect(try ra.json().arrayValue?.first?["id"] == rb.json().arrayValue?.first?["id"])
            let count = try await api.pool.withConnection { connection in
                try connection.query("SELECT count(*) FROM jwk_certificates WHERE tenant_id = $1", [other.id])[0].decode(0, as: Int.self)
            }
            #expect(count == 1)
            #expect(try ra.json().arrayValue?.first?["id"] != .string(id))
        }
    }

    @Test func aViewerMayReadButNotSeeTheSecretOrChange() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "social-roles@example.com")
            let tenant = try await api.tenant(owner: owner)
            let viewer = try await api.token(email: "viewer@example.com")
            guard case .bearer(_, let viewerId) = viewer else { return }
            try await api.pool.withConnection { connection in
                _ = try connection.query("""
                    INSERT INTO tenant_members (id, tenant_id, platform_user_id, role_view_config)
                    VALUES ('cviewer000000000000000001', $1, $2, true)
                    """, [tenant.id, viewerId])
            }
            let created = try await api.contractCall("POST", "/api/v0/auth/tenant-social-providers", owner, json: """
                {"tenantId":"\(tenant.id)","providerKey":"google","enabled":true,"clientSecret":"s3cret"}
                """)
            let id = try #require(try created.json()["id"]?.stringValue)
            #expect(try await api.contractCall("GET", "/api/v0/auth/tenant-social-providers/\(id)", viewer).status == 200)
            #expect(try await api.contractCall("GET", "/api/v0/auth/jwk-certificates?tenantId=\(tenant.id)", viewer).status == 200)
            #expect(try await api.call("GET", "/api/v0/auth/tenant-social-providers/\(id)/secret", viewer).status == 403)
            #expect(try await api.call("PUT", "/api/v0/auth/tenant-social-providers/\(id)", viewer,
                                       json: #"{"enabled":false}"#).status == 403)
            #expect(try await api.call("POST", "/api/v0/media/uploads", viewer, json: """
                {"tenantId":"\(tenant.id)","access":"public","originalFilename":null,"mime":"image/png","size":10}
                """).status == 403)
            #expect(try await api.call("GET", "/api/v0/auth/tenant-social-providers/\(id)/secret", owner)
                .json()["secret"] == "s3cret")
        }
    }
}
