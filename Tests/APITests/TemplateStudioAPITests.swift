import Foundation
import HeraldTestSupport
import JSON
import Testing

/// The template studio's API extensions over HTTP and a real database: the
/// tenant context in previews and tests, structured issues, sample data,
/// drafts and publishing, and templates that others depend on.
@Suite struct TemplateStudioAPITests {
    /// The id of the tenant's built-in template of that name and type.
    static func builtIn(_ api: APIHarness, _ tenant: TestTenant, _ name: String, type: String = "email") async throws -> String {
        let list = try await api.call("GET", "/api/v0/tenants/\(tenant.id)/notifications/templates?type=\(type)&perPage=100",
                                      tenant.keys).json()
        let found = list["data"]?.arrayValue?.first { $0["name"]?.stringValue == name }
        return try #require(found?["id"]?.stringValue, "no built-in \(name)/\(type)")
    }

    @Test func previewAndTestFillTheTenantContext() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "studio-context@example.com")
            let tenant = try await api.tenant(owner: owner, name: "Northwind Traders")
            let invitation = try await Self.builtIn(api, tenant, "organization-invitation")
            // The documented variables, without tenant or brand: the tenant's own fill them.
            let documented = #"{"organization":{"name":"Acme"},"acceptUrl":"https://example.com/accept"}"#
            let dry = try await api.call("POST", "/api/v0/notifications/test", tenant.keys, json:
                #"{"templateId":"\#(invitation)","dryRun":true,"variables":\#(documented)}"#)
            #expect(dry.status == 200, "\(dry.bodyString)")
            let text = try dry.json()["data"]?["rendered"]?["text"]?.stringValue ?? ""
            #expect(text.contains("to join Acme\non Northwind Traders."), "\(text)")
            #expect(!text.contains("on ."))
            let missing = try dry.json()["data"]?["missingVariables"]?.arrayValue ?? []
            #expect(!missing.contains("tenant.name") && !missing.contains { $0.stringValue?.hasPrefix("brand.") == true },
                    "\(missing)")

            // Preview of the stored document: the same context, and request variables override it deep.
            let stored = try await api.call("GET", "/api/v0/notifications/templates/\(invitation)", tenant.keys).json()
            let body = try #require(stored["body"]).jsonString
            let preview = try await api.call("POST", "/api/v0/notifications/templates/preview", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","type":"email","subject":"Join {{organization.name}} on {{tenant.name}}","body":\(body),
                 "variables":{"organization":{"name":"Acme"},"tenant":{"homeUri":"https://home.example"},"brand":{"primary":"#123456"}}}
                """)
            #expect(preview.status == 200, "\(preview.bodyString)")
            let data = try #require(try preview.json()["data"])
            #expect(data["rendered"]?["subject"] == "Join Acme on Northwind Traders")
            #expect(data["variables"]?["tenant"]?["name"] == "Northwind Traders", "the context stays under an override")
            #expect(data["variables"]?["tenant"]?["homeUri"] == "https://home.example")
            #expect(data["variables"]?["brand"]?["primary"] == "#123456")
            #expect(data["variables"]?["brand"]?["primaryForeground"] == "#ffffff", "brand keys not overridden remain")
            #expect(data["variables"]?["brand"]?["radius"] == "8px", "the brand's 0.5rem, as email clients understand it")
            #expect(data["rendered"]?["html"]?.stringValue?.contains("#123456") == true)
        }
    }

    /// The enqueuers use the same builder: a queued invitation carries the tenant's context.
    @Test func queuedInvitationsCarryTheSameContext() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "studio-enqueue@example.com")
            let tenant = try await api.tenant(owner: owner, name: "Lindenhof Shop")
            _ = try await api.call("PUT", "/api/v0/tenants/\(tenant.id)/brand", owner, json: ##"{"primary":"#0f766e"}"##)
            let invited = try await api.call("POST", "/api/v0/tenants/members/invite", owner, json:
                #"{"tenantId":"\#(tenant.id)","email":"felix@example.com","roleViewConfig":true}"#)
            #expect(invited.status == 200, "\(invited.bodyString)")
            let stored = try await api.pool.withConnection { connection in
                try connection.query("SELECT variables::text FROM notifications WHERE tenant_id = $1 AND template_name = 'tenant-invitation'",
                                     [tenant.id])[0].decode(0, as: String.self)
            }
            let variables = try JSONParser.parse(stored)
            let previewed = try await api.call("POST", "/api/v0/notifications/templates/preview", tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","type":"sms","body":{"text":"x"}}"#).json()["data"]?["variables"]
            #expect(variables["tenant"] == previewed?["tenant"] && variables["brand"] == previewed?["brand"])
            #expect(variables["tenant"]?["name"] == "Lindenhof Shop" && variables["brand"]?["primary"] == "#0f766e")
            #expect(variables["acceptUrl"]?.stringValue?.isEmpty == false)
        }
    }

    @Test func previewErrorsAreStructured() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "studio-issues@example.com")
            let tenant = try await api.tenant(owner: owner)
            let preview = try await api.call("POST", "/api/v0/notifications/templates/preview", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","type":"email","subject":"Hi {{name","body":{"html":"<p>ok</p>",
                 "locales":{"de":{"text":"Hallo\\n  {{#user}}{{name}}"}}}}
                """)
            #expect(preview.status == 200)
            let answer = try preview.json()
            #expect(answer["status"] == "error")
            let errors = answer["errors"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let issues = answer["issues"]?.arrayValue ?? []
            #expect(errors.count == 2 && issues.count == 2, "\(answer.jsonString)")
            let subject = try #require(issues.first { $0["part"] == "subject" })
            #expect(subject["locale"] == .null && subject["line"] == 1 && subject["column"] == 4, "\(subject.jsonString)")
            #expect(subject["message"]?.stringValue.map(errors.contains) == true)
            let german = try #require(issues.first { $0["locale"] == "de" })
            #expect(german["part"] == "text" && german["line"] == 2 && german["column"] == 3, "\(german.jsonString)")
            #expect(german["detail"]?.stringValue?.isEmpty == false)
        }
    }

    @Test func smsPreviewMeasuresEncodingAndSegments() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "studio-sms@example.com")
            let tenant = try await api.tenant(owner: owner)
            func measure(_ text: String) async throws -> JSONValue? {
                let body = JSONValue.string(text).jsonString
                let answer = try await api.call("POST", "/api/v0/notifications/templates/preview", tenant.keys, json:
                    #"{"tenantId":"\#(tenant.id)","type":"sms","body":{"text":\#(body)}}"#)
                return try answer.json()["data"]?["sms"]
            }
            let long = String(repeating: "a", count: 161)
            let gsm = try await measure(long)
            #expect(gsm?["encoding"] == "GSM-7" && gsm?["segments"] == 2 && gsm?["length"] == 161)
            #expect(gsm?["ucs2Characters"] == [])
            let emoji = try await measure("Hi 😀 from {{tenant.name}}")
            #expect(emoji?["encoding"] == "UCS-2" && emoji?["segments"] == 1)
            #expect(emoji?["ucs2Characters"] == ["😀"])
        }
    }

    @Test func sampleDataIsSeededLimitedClonedAndUsed() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "studio-sample@example.com")
            let tenant = try await api.tenant(owner: owner, name: "Sample Tenant")
            let invitation = try await Self.builtIn(api, tenant, "organization-invitation")
            let seeded = try await api.call("GET", "/api/v0/notifications/templates/\(invitation)/sample", tenant.keys)
            #expect(seeded.status == 200)
            let sample = try #require(try seeded.json()["data"])
            #expect(sample["organization"]?["name"] == "Kanzlei Weißenfels & Partner")
            #expect(sample["tenant"] == nil, "the tenant's own context replaces the file's sample tenant")

            // Preview with the template id and no variables renders the sample under the tenant's context.
            let stored = try await api.call("GET", "/api/v0/notifications/templates/\(invitation)", tenant.keys).json()
            let preview = try await api.call("POST", "/api/v0/notifications/templates/preview", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","type":"email","templateId":"\(invitation)","body":\(try #require(stored["body"]).jsonString)}
                """)
            let text = try preview.json()["data"]?["rendered"]?["text"]?.stringValue ?? ""
            #expect(text.contains("Kanzlei Weißenfels & Partner\non Sample Tenant."), "\(preview.bodyString)")

            let put = try await api.call("PUT", "/api/v0/notifications/templates/\(invitation)/sample", tenant.keys,
                                         json: #"{"data":{"organization":{"name":"Globex"},"acceptUrl":"https://g.example"}}"#)
            #expect(put.status == 200)
            #expect(try put.json()["data"]?["organization"]?["name"] == "Globex")
            // A test without variables uses it too.
            let dry = try await api.call("POST", "/api/v0/notifications/test", tenant.keys,
                                         json: #"{"templateId":"\#(invitation)","dryRun":true}"#)
            #expect(try dry.json()["data"]?["rendered"]?["subject"] == "You are invited to join Globex")

            let huge = String(repeating: "x", count: 64 << 10)
            let tooBig = try await api.call("PUT", "/api/v0/notifications/templates/\(invitation)/sample", tenant.keys,
                                            json: #"{"data":{"blob":"\#(huge)"}}"#)
            #expect(tooBig.status == 400)
            let notObject = try await api.call("PUT", "/api/v0/notifications/templates/\(invitation)/sample", tenant.keys,
                                               json: #"{"data":[1]}"#)
            #expect(notObject.status == 400)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            #expect(try await api.call("GET", "/api/v0/notifications/templates/\(invitation)/sample", other.keys).status == 404)
            let foreign = try await api.call("POST", "/api/v0/notifications/templates/preview", other.keys, json:
                #"{"tenantId":"\#(other.id)","type":"sms","templateId":"\#(invitation)","body":{"text":"x"},"variables":{}}"#)
            #expect(foreign.status == 404, "another tenant's template id names nothing")

            // Clone-all copies sample data: the other tenant's copies of the built-ins exist already,
            // so clone into a fresh tenant without templates.
            let target = try await api.tenant(owner: owner, name: "Clone Target")
            _ = try await api.pool.withConnection { try $0.query("DELETE FROM notification_templates WHERE tenant_id = $1", [target.id]) }
            let cloned = try await api.call("POST", "/api/v0/notifications/templates/clone-all-to-tenant", owner,
                                            json: #"{"fromTenantId":"\#(tenant.id)","toTenantId":"\#(target.id)"}"#)
            #expect(cloned.status == 200, "\(cloned.bodyString)")
            let copy = try await Self.builtIn(api, target, "organization-invitation")
            let copied = try await api.call("GET", "/api/v0/notifications/templates/\(copy)/sample", target.keys)
            #expect(try copied.json()["data"]?["organization"]?["name"] == "Globex")
        }
    }

    @Test func draftsStayUnpublishedUntilPublish() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "studio-draft@example.com")
            let tenant = try await api.tenant(owner: owner)
            #expect(try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Inbox","key":"inbox","type":"inapp","provider":"inapp_pxyz","providerSettings":{}}
                """).status == 200)
            let created = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","type":"inapp","name":"code","body":{"text":"v1 {{code}}"}}"#)
            let id = try #require(try created.json()["id"]?.stringValue)
            let none = try await api.call("GET", "/api/v0/notifications/templates/\(id)/draft", tenant.keys)
            let noneData = try none.json()["data"]
            #expect(none.status == 200 && noneData == .null)
            #expect(try await api.call("POST", "/api/v0/notifications/templates/\(id)/publish", tenant.keys).status == 404)

            // A draft that does not compile is saved, with its issues.
            let broken = try await api.call("PUT", "/api/v0/notifications/templates/\(id)/draft", tenant.keys,
                                            json: #"{"body":"v2 {{#code}}"}"#)
            #expect(broken.status == 200, "\(broken.bodyString)")
            let brokenIssues = try broken.json()["data"]?["issues"]?.arrayValue ?? []
            #expect(brokenIssues.first?["part"] == "text" && brokenIssues.first?["line"] == 1, "\(broken.bodyString)")
            #expect(try broken.json()["data"]?["baseVersion"] == 1)
            let refused = try await api.call("POST", "/api/v0/notifications/templates/\(id)/publish", tenant.keys)
            #expect(refused.status == 400)
            #expect(try refused.json()["issues"]?.arrayValue?.first?["part"] == "text")

            let draft = try await api.call("PUT", "/api/v0/notifications/templates/\(id)/draft", tenant.keys,
                                           json: #"{"body":"v2 {{code}}"}"#)
            #expect(try draft.json()["data"]?["body"] == ["text": "v2 {{code}}"])
            #expect(try draft.json()["data"]?["issues"] == [])
            // Everything that sends or reads the template still sees version 1.
            let published = try await api.call("GET", "/api/v0/notifications/templates/\(id)", tenant.keys)
            #expect(try published.json()["body"] == ["text": "v1 {{code}}"])
            let test = try await api.call("POST", "/api/v0/notifications/test", tenant.keys,
                                          json: #"{"templateId":"\#(id)","dryRun":true,"variables":{"code":"7"}}"#)
            #expect(try test.json()["data"]?["rendered"]?["text"] == "v1 7")
            let testDraft = try await api.call("POST", "/api/v0/notifications/test", tenant.keys,
                                               json: #"{"templateId":"\#(id)","dryRun":true,"draft":true,"variables":{"code":"7"}}"#)
            #expect(try testDraft.json()["data"]?["rendered"]?["text"] == "v2 7")
            let send = try await api.call("POST", "/api/v0/notifications/send", tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","template":"code","channel":"inbox","variables":{"code":"7"},"input":{"to":["u1"]}}"#)
            #expect(send.status == 200, "\(send.bodyString)")
            let sentId = String(send.headers["location"]?.split(separator: "/").last ?? "")
            let sent = try await api.pool.withConnection { connection in
                try connection.query("SELECT rendered::text FROM notifications WHERE id = $1", [sentId])[0].decode(0, as: String.self)
            }
            #expect(try JSONParser.parse(sent)["text"] == "v1 7")

            // Publish with a stale If-Match: 412, nothing changes.
            let stale = try await api.call("POST", "/api/v0/notifications/templates/\(id)/publish", tenant.keys,
                                           headers: [("If-Match", "\"7\"")])
            #expect(stale.status == 412)
            let ok = try await api.call("POST", "/api/v0/notifications/templates/\(id)/publish", tenant.keys,
                                        headers: [("If-Match", "\"1\"")])
            #expect(ok.status == 200, "\(ok.bodyString)")
            #expect(ok.headers["etag"] == "\"2\"")
            #expect(try ok.json()["body"] == ["text": "v2 {{code}}"])
            #expect(try await api.call("GET", "/api/v0/notifications/templates/\(id)/draft", tenant.keys).json()["data"] == .null)
            let versions = try await api.call("GET", "/api/v0/notifications/templates/\(id)/versions", tenant.keys).json()
            #expect(versions["data"]?.arrayValue?.compactMap { $0["version"]?.intValue } == [2, 1])
            #expect(versions["data"]?.arrayValue?.first?["body"] == ["text": "v2 {{code}}"])

            // PUT on the template publishes and leaves a draft alone; DELETE drops the draft.
            _ = try await api.call("PUT", "/api/v0/notifications/templates/\(id)/draft", tenant.keys, json: #"{"subject":null,"body":"v4"}"#)
            let put = try await api.call("PUT", "/api/v0/notifications/templates/\(id)", tenant.keys, json: #"{"body":"v3 {{code}}"}"#)
            #expect(put.status == 200 && put.headers["etag"] == "\"3\"")
            #expect(try await api.call("GET", "/api/v0/notifications/templates/\(id)/draft", tenant.keys).json()["data"]?["body"]
                    == ["text": "v4"])
            #expect(try await api.call("DELETE", "/api/v0/notifications/templates/\(id)/draft", tenant.keys).json()["deleted"] == true)
            #expect(try await api.call("DELETE", "/api/v0/notifications/templates/\(id)/draft", tenant.keys).json()["deleted"] == false)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            #expect(try await api.call("GET", "/api/v0/notifications/templates/\(id)/draft", other.keys).status == 404)
        }
    }

    @Test func deletingAPartialOrLayoutInUseIsAConflict() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "studio-deps@example.com")
            let tenant = try await api.tenant(owner: owner)
            let layout = try await Self.builtIn(api, tenant, "email-layout")
            let dependents = try await api.call("GET", "/api/v0/notifications/templates/\(layout)/dependents", tenant.keys)
            #expect(dependents.status == 200)
            let names = Set(try dependents.json()["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
            #expect(names.isSuperset(of: ["welcome", "organization-invitation", "verification-code"]), "\(names)")

            let refused = try await api.call("DELETE", "/api/v0/notifications/templates/\(layout)", tenant.keys)
            #expect(refused.status == 409)
            let error = try refused.json()
            #expect(error["code"] == "CONFLICT")
            #expect(error["issues"]?.arrayValue?.contains { $0["message"] == "used by welcome (email)" } == true, "\(error.jsonString)")
            #expect(error["usedBy"]?.arrayValue?.contains { $0["name"] == "welcome" && $0["type"] == "email" } == true)
            #expect(try await api.call("GET", "/api/v0/notifications/templates/\(layout)", tenant.keys).status == 200)

            // A template nobody uses goes at once; with force a used one goes too.
            let welcomeSMS = try await Self.builtIn(api, tenant, "welcome", type: "sms")
            #expect(try await api.call("DELETE", "/api/v0/notifications/templates/\(welcomeSMS)", tenant.keys).status == 200)
            #expect(try await api.call("DELETE", "/api/v0/notifications/templates/\(layout)?force=maybe", tenant.keys).status == 400)
            let forced = try await api.call("DELETE", "/api/v0/notifications/templates/\(layout)?force=true", tenant.keys)
            let forcedDeleted = try forced.json()["deleted"]
            #expect(forced.status == 200 && forcedDeleted == true)
        }
    }

    @Test func aKeyPairFindsItsTenant() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "studio-current@example.com")
            let tenant = try await api.tenant(owner: owner, name: "Current Tenant")
            let current = try await api.call("GET", "/api/v0/auth/tenants/current", tenant.keys)
            #expect(current.status == 200)
            #expect(try current.json()["id"]?.stringValue == tenant.id)
            #expect(try current.json()["name"] == "Current Tenant")
            #expect(try await api.call("GET", "/api/v0/auth/tenants/current", owner).status == 400)
            #expect(try await api.call("GET", "/api/v0/auth/tenants/current").status == 401)
        }
    }
}
