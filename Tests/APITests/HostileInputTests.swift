import HeraldTestSupport
import JSON
import Testing

/// Issue 11: input PostgreSQL cannot hold, ids and cursors it would refuse,
/// keys the contract does not allow and tenants the caller does not hold are
/// all refused before any query, with a 4xx that names the problem.
@Suite struct HostileInputTests {
    static func issues(_ response: TestHTTPClient.Response) -> [String] {
        ((try? response.json())?["issues"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }
    }

    @Test func nulInAnyStringKeyOrNestedDocumentIs400NamingTheField() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "nul@example.com")
            let tenant = try await api.tenant(owner: owner)
            let cases: [(String, String, String)] = [
                ("POST", "/api/v0/notifications/templates",
                 #"{"tenantId":"\#(tenant.id)","type":"inapp","name":"a\u0000b","body":{"text":"x"}}"#),
                ("POST", "/api/v0/notifications/templates",
                 #"{"tenantId":"\#(tenant.id)","type":"inapp","name":"n","body":{"text":"x","json":{"k\u0000":1}}}"#),
                ("POST", "/api/v0/auth/users",
                 #"{"tenantId":"\#(tenant.id)","email":"u@example.com","publicMeta":{"list":["ok","bad\u0000"]}}"#),
                ("POST", "/api/v0/notifications/channels",
                 #"{"tenantId":"\#(tenant.id)","name":"c","key":"c","type":"inapp","provider":"inapp","providerSettings":{"x":"\u0000"}}"#),
            ]
            for (method, path, body) in cases {
                let response = try await api.call(method, path, tenant.keys, json: body)
                #expect(response.status == 400, "\(body) → \(response.status) \(response.bodyString)")
                #expect(Self.issues(response).contains { $0.hasPrefix("body.") && $0.contains("NUL") },
                        "\(response.bodyString)")
            }
            // A NUL in JSON text of variables is refused the same way.
            let template = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys,
                                              json: #"{"tenantId":"\#(tenant.id)","type":"inapp","name":"t","body":{"text":"Hi"}}"#)
            let templateId = try #require(try template.json()["id"]?.stringValue)
            let dry = try await api.call("POST", "/api/v0/notifications/test", tenant.keys, json: """
                {"templateId":"\(templateId)","dryRun":true,"variables":"{\\"a\\":\\"\\\\u0000\\"}"}
                """)
            #expect(dry.status == 400, "\(dry.bodyString)")
            // Nothing was stored.
            let count = try await api.pool.withConnection {
                try $0.query("SELECT count(*) FROM notification_templates WHERE tenant_id = $1", [tenant.id])[0].decode(0, as: Int.self)
            }
            let seeded = try await api.pool.withConnection {
                try $0.query("SELECT count(*) FROM notification_templates WHERE tenant_id = $1 AND name <> 't'", [tenant.id])[0].decode(0, as: Int.self)
            }
            #expect(count == seeded + 1)
        }
    }

    @Test func nulInPathOrQueryIsA4xxNeverA500() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "nulpath@example.com")
            let tenant = try await api.tenant(owner: owner)
            for path in ["/api/v0/notifications/templates/c%00aaaaaaaaaaaaaaaaaaaaaaa",
                         "/api/v0/notifications/templates/cAAAAAAAAAAAAAAAAAAAAAAAA",
                         "/api/v0/notifications/templates/c'aaaaaaaaaaaaaaaaaaaaaaa",
                         "/api/v0/tenants/slug/a%00b"] {
                let response = try await api.call("GET", path, path.contains("slug") ? owner : tenant.keys)
                #expect(response.status == 404 || response.status == 400, "\(path) → \(response.status) \(response.bodyString)")
            }
            let query = try await api.call("GET", "/api/v0/tenants/\(tenant.id)/notifications/templates?type=%00",
                                           tenant.keys)
            #expect(query.status == 400, "\(query.bodyString)")
            #expect(Self.issues(query).contains { $0.hasPrefix("query.type") })
        }
    }

    @Test func cursorsPostgreSQLWouldRefuseAre400OnListRoutes() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "cursor@example.com")
            let tenant = try await api.tenant(owner: owner)
            let bad = ["2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "0000-01-01T00:00:00Z",
                       "2026-01-01T00:00:00-16:58", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z",
                       "2026-01-01T00:00:00+01:60", ""]
            for cursor in bad {
                for path in ["/api/v0/tenants/\(tenant.id)/notifications/templates", "/api/v0/auth/users?tenantId=\(tenant.id)"] {
                    let response = try await api.call("GET", "\(path)\(path.contains("?") ? "&" : "?")cursor=\(cursor.replacingOccurrences(of: "+", with: "%2B"))",
                                                       tenant.keys)
                    #expect(response.status == 400, "\(cursor) on \(path) → \(response.status) \(response.bodyString)")
                }
            }
            for cursor in ["2024-02-29T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999-15:59",
                           "2026-01-01T00:00:00.123456789Z"] {
                let response = try await api.call("GET", "/api/v0/tenants/\(tenant.id)/notifications/templates?cursor="
                                                  + cursor.replacingOccurrences(of: "+", with: "%2B"), tenant.keys)
                #expect(response.status == 200, "\(cursor) → \(response.status) \(response.bodyString)")
            }
        }
    }

    @Test func unknownKeysAre400NamingThem() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "keys@example.com")
            let tenant = try await api.tenant(owner: owner)
            let created = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys,
                                             json: #"{"tenantId":"\#(tenant.id)","type":"inapp","name":"k","body":{"text":"Hi"}}"#)
            let id = try #require(try created.json()["id"]?.stringValue)
            let put = try await api.call("PUT", "/api/v0/notifications/templates/\(id)", tenant.keys, json: #"{"type":"email"}"#)
            #expect(put.status == 400, "\(put.bodyString)")
            #expect(Self.issues(put) == ["type: Unrecognized key"], "\(put.bodyString)")
            let got = try await api.call("GET", "/api/v0/notifications/templates/\(id)", tenant.keys)
            #expect(try got.json()["type"] == "inapp")

            let two = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys,
                                         json: #"{"tenantId":"\#(tenant.id)","type":"inapp","name":"k2","body":{"text":"x"},"colour":1,"extra":null}"#)
            #expect(two.status == 400)
            #expect(Set(Self.issues(two)) == ["colour: Unrecognized key", "extra: Unrecognized key"], "\(two.bodyString)")

            let brand = try await api.call("PUT", "/api/v0/tenants/\(tenant.id)/brand", owner, json: #"{"bogus":"x"}"#)
            #expect(brand.status == 400 && Self.issues(brand) == ["bogus: Unrecognized key"], "\(brand.bodyString)")
            let tenantCreate = try await api.call("POST", "/api/v0/tenants", owner,
                                                  json: #"{"name":"Fuzz","environment":"development","x-unknown":42}"#)
            #expect(tenantCreate.status == 400 && Self.issues(tenantCreate) == ["x-unknown: Unrecognized key"])

            let content = try await api.call("PUT", "/api/v0/notifications/templates/\(id)/content", tenant.keys,
                                             json: #"{"pages":[],"script":"x"}"#)
            #expect(content.status == 400 && Self.issues(content) == ["script: Unrecognized key"], "\(content.bodyString)")
        }
    }

    @Test func aTenantIdInTheQueryMustBeTheCallersOr404() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "qtenant@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: try await api.token(email: "qtenant-other@example.com"), name: "Other")
            let created = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys,
                                             json: #"{"tenantId":"\#(tenant.id)","type":"inapp","name":"q","body":{"text":"Hi"}}"#)
            let templateId = try #require(try created.json()["id"]?.stringValue)
            for path in ["/api/v0/auth/users", "/api/v0/domains", "/api/v0/notifications/stats",
                         "/api/v0/notifications/templates/\(templateId)"] {
                let foreign = try await api.call("GET", "\(path)?tenantId=\(other.id)", tenant.keys)
                #expect(foreign.status == 404, "\(path) with another tenant → \(foreign.status) \(foreign.bodyString)")
                let malformed = try await api.call("GET", "\(path)?tenantId=not-an-id", tenant.keys)
                #expect(malformed.status == 400, "\(path) with a malformed tenant → \(malformed.status)")
            }
            let own = try await api.call("GET", "/api/v0/auth/users?tenantId=\(tenant.id)", tenant.keys)
            #expect(own.status == 200, "\(own.bodyString)")
        }
    }

    @Test func dryRunsValidateRecipientsLikeRealSends() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "dryrun@example.com")
            let tenant = try await api.tenant(owner: owner)
            let created = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys,
                                             json: #"{"tenantId":"\#(tenant.id)","type":"email","name":"d","subject":"S","body":{"html":"<p>Hi</p>"}}"#)
            let id = try #require(try created.json()["id"]?.stringValue)
            for to in [#"["a@example.com\r\nBcc: x@evil.example"]"#, #"["not-an-address"]"#] {
                let dry = try await api.call("POST", "/api/v0/notifications/test", tenant.keys,
                                             json: #"{"templateId":"\#(id)","dryRun":true,"input":{"to":\#(to)}}"#)
                #expect(dry.status == 400, "\(to) → \(dry.status) \(dry.bodyString)")
            }
            let fine = try await api.call("POST", "/api/v0/notifications/test", tenant.keys,
                                          json: #"{"templateId":"\#(id)","dryRun":true,"input":{"to":["a@example.com"]}}"#)
            #expect(fine.status == 200, "\(fine.bodyString)")
            let bare = try await api.call("POST", "/api/v0/notifications/test", tenant.keys,
                                          json: #"{"templateId":"\#(id)","dryRun":true}"#)
            #expect(bare.status == 200, "\(bare.bodyString)")
        }
    }

    @Test func heraldsOwnOperationsDeclareWhatTheyTake() async throws {
        try await APIHarness.with { api in
            let spec = try await api.call("GET", "/openapi.json").json()
            for (path, method) in [("/auth/email-addresses/prepare-verification", "post"),
                                   ("/notifications/templates/preview", "post")] {
                let schema = spec["paths"]?[path]?[method]?["requestBody"]?["content"]?["application/json"]?["schema"]
                #expect(schema?["additionalProperties"] == false, "\(path)")
                #expect((schema?["required"]?.arrayValue?.count ?? 0) >= 1, "\(path)")
            }
        }
    }
}
