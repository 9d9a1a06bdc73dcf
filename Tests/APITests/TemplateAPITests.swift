import Foundation
import HeraldTestSupport
import JSON
import Testing

/// The NotificationTemplate operations over HTTP and a real database, every
/// contract response checked against the OpenAPI schema.
@Suite struct TemplateAPITests {
    static let welcome = #"{"html":"<p>Hello {{user.name}} from {{tenant.name}}</p>","text":"Hello {{user.name}}"}"#

    @Test func crudThroughTheContract() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "tpl@example.com")
            let tenant = try await api.tenant(owner: owner)
            let created = try await api.contractCall("POST", "/api/v0/notifications/templates", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","type":"email","name":"hello","subject":"Hi {{user.name}}","body":\(Self.welcome)}
                """)
            #expect(created.status == 200, "\(created.bodyString)")
            let id = try #require(try created.json()["id"]?.stringValue)

            let got = try await api.contractCall("GET", "/api/v0/notifications/templates/\(id)", tenant.keys)
            #expect(try got.json()["subject"] == "Hi {{user.name}}")
            #expect(got.headers["etag"] == "\"1\"")

            let list = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/notifications/templates?type=email&perPage=100", tenant.keys)
            let names = try list.json()["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("hello"))
            // Built-in templates arrive with the tenant.
            #expect(names.contains("verification-code"))
            #expect(names.contains("email-layout"))
            let sms = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/notifications/templates?type=sms", tenant.keys)
            #expect(try sms.json()["data"]?.arrayValue?.allSatisfy { $0["type"] == "sms" } == true)

            // PUT takes the body as a string: the main part of the type.
            let updated = try await api.contractCall("PUT", "/api/v0/notifications/templates/\(id)", tenant.keys,
                                                     json: #"{"body":"<b>{{code}}</b>","name":"hello-2"}"#)
            #expect(try updated.json()["body"]?["html"] == "<b>{{code}}</b>")
            #expect(try updated.json()["name"] == "hello-2")

            let content = try await api.contractCall("GET", "/api/v0/notifications/templates/\(id)/content", tenant.keys)
            #expect(try content.json() == ["assets": [], "pages": [], "styles": []])
            let document = #"{"assets":[{"src":"a.png"}],"pages":[{"id":"p1","frames":[]}],"styles":[]}"#
            let savedContent = try await api.contractCall("PUT", "/api/v0/notifications/templates/\(id)/content", tenant.keys, json: document)
            #expect(try savedContent.json()["pages"]?.arrayValue?.count == 1)
            #expect(try await api.call("GET", "/api/v0/notifications/templates/\(id)/content", tenant.keys).json()
                    == (try JSONParser.parse(document)))

            let deleted = try await api.contractCall("DELETE", "/api/v0/notifications/templates/\(id)", tenant.keys)
            #expect(try deleted.json()["deleted"] == true)
            #expect(try await api.call("GET", "/api/v0/notifications/templates/\(id)", tenant.keys).status == 404)
        }
    }

    @Test func refusalsNameTheProblem() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "tpl-bad@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            let base = #""tenantId":"\#(tenant.id)","type":"email""#

            // Template issues carry where they are (Herald's extension of the contract's issue objects).
            let broken = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys, json: """
                {\(base),"name":"broken","body":{"html":"<p>\\n<ul>\\n  {{#items}}<li>{{.}}</li>\\n</ul>"}}
                """)
            #expect(broken.status == 400)
            let issues = try broken.json()["issues"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            #expect(issues == [#"body.html:3:3: unclosed section "items""#], "\(issues)")
            let issue = try broken.json()["issues"]?.arrayValue?.first
            #expect(issue?["part"] == "html" && issue?["locale"] == .null && issue?["line"] == 3 && issue?["column"] == 3)
            #expect(issue?["detail"] == #"unclosed section "items""#)

            let missing = try await api.contractCall("POST", "/api/v0/notifications/templates", tenant.keys,
                                                     json: #"{"tenantId":"\#(tenant.id)","type":"fax","name":""}"#)
            #expect(missing.status == 400)
            #expect(try missing.json()["issues"]?.arrayValue?.count == 3)

            let first = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys,
                                           json: #"{\#(base),"name":"dup","body":{"html":"x"}}"#)
            #expect(first.status == 200)
            let duplicate = try await api.contractCall("POST", "/api/v0/notifications/templates", tenant.keys,
                                                       json: #"{\#(base),"name":"dup","body":{"html":"y"}}"#)
            #expect(duplicate.status == 409)
            // Same name, other type: allowed.
            let smsTwin = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys,
                                             json: #"{"tenantId":"\#(tenant.id)","type":"sms","name":"dup","body":{"text":"y"}}"#)
            #expect(smsTwin.status == 200)

            let id = try #require(try first.json()["id"]?.stringValue)
            // Another tenant's keys see nothing and change nothing.
            #expect(try await api.call("GET", "/api/v0/notifications/templates/\(id)", other.keys).status == 404)
            #expect(try await api.call("PUT", "/api/v0/notifications/templates/\(id)", other.keys, json: #"{"name":"x"}"#).status == 404)
            #expect(try await api.call("DELETE", "/api/v0/notifications/templates/\(id)", other.keys).status == 404)
            #expect(try await api.call("POST", "/api/v0/notifications/templates", other.keys,
                                       json: #"{\#(base),"name":"sneaky","body":{"html":"x"}}"#).status == 404)
            #expect(try await api.call("GET", "/api/v0/notifications/templates/\(id)").status == 401)
            #expect(try await api.call("GET", "/api/v0/notifications/templates/\(id)", tenant.keys).json()["name"] == "dup")
        }
    }

    @Test func versionsRestoreAndIfMatch() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "tpl-ver@example.com")
            let tenant = try await api.tenant(owner: owner)
            let created = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","type":"sms","name":"code","body":{"text":"v1 {{code}}"}}"#)
            let id = try #require(try created.json()["id"]?.stringValue)
            let v2 = try await api.call("PUT", "/api/v0/notifications/templates/\(id)", tenant.keys, json: #"{"body":"v2 {{code}}"}"#,
                                        headers: [("If-Match", "\"1\"")])
            #expect(v2.status == 200)
            #expect(v2.headers["etag"] == "\"2\"")
            // A writer still holding version 1 loses the race cleanly.
            let stale = try await api.contractCall("PUT", "/api/v0/notifications/templates/\(id)", tenant.keys,
                                                   json: #"{"body":"lost update"}"#)
            #expect(stale.status == 200, "no If-Match: last writer wins")
            let conflict = try await api.call("PUT", "/api/v0/notifications/templates/\(id)", tenant.keys,
                                              json: #"{"body":"v? {{code}}"}"#, headers: [("If-Match", "\"2\"")])
            #expect(conflict.status == 412)
            #expect(try conflict.json()["code"] == "PRECONDITION_FAILED")
            // A rename alone is not a new version.
            let renamed = try await api.call("PUT", "/api/v0/notifications/templates/\(id)", tenant.keys, json: #"{"name":"code-2"}"#)
            #expect(renamed.headers["etag"] == "\"3\"")

            let versions = try await api.call("GET", "/api/v0/notifications/templates/\(id)/versions", tenant.keys)
            let list = try versions.json()["data"]?.arrayValue ?? []
            #expect(list.compactMap { $0["version"]?.intValue } == [3, 2, 1])
            #expect(list.last?["body"]?["text"] == "v1 {{code}}")

            let restored = try await api.call("POST", "/api/v0/notifications/templates/\(id)/versions/1/restore", tenant.keys)
            #expect(restored.status == 200)
            #expect(restored.headers["etag"] == "\"4\"")
            #expect(try restored.json()["body"]?["text"] == "v1 {{code}}")
            #expect(try await api.call("POST", "/api/v0/notifications/templates/\(id)/versions/99/restore", tenant.keys).status == 404)
        }
    }

    @Test func previewRendersLocalesPartialsAndErrorsAsData() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "tpl-preview@example.com")
            let tenant = try await api.tenant(owner: owner)
            // A partial and a layout of this tenant.
            for (name, html) in [("sig", "<i>{{tenant.name}} team</i>"),
                                 ("frame", "<main>{{$content}}default{{/content}}</main>")] {
                let made = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys, json:
                    #"{"tenantId":"\#(tenant.id)","type":"email","name":"\#(name)","body":{"html":"\#(html)"}}"#)
                #expect(made.status == 200, "\(made.bodyString)")
            }
            let body = #"{"html":"{{<frame}}{{$content}}Hi {{name}} {{>sig}}{{/content}}{{/frame}}","locales":{"de":{"html":"Hallo {{name}}","subject":"Willkommen"}}}"#
            func preview(_ locale: String) async throws -> JSONValue {
                let response = try await api.call("POST", "/api/v0/notifications/templates/preview", tenant.keys, json: """
                    {"tenantId":"\(tenant.id)","type":"email","subject":"Welcome","body":\(body),
                     "variables":{"name":"<Ann>","tenant":{"name":"Acme"}},"locale":"\(locale)"}
                    """)
                #expect(response.status == 200)
                return try response.json()
            }
            let english = try await preview("fr")
            #expect(english["data"]?["rendered"]?["html"] == "<main>Hi &lt;Ann&gt; <i>Acme team</i></main>")
            #expect(english["data"]?["rendered"]?["subject"] == "Welcome")
            let austrian = try await preview("de-AT")
            #expect(austrian["data"]?["rendered"]?["html"] == "Hallo &lt;Ann&gt;")
            #expect(austrian["data"]?["rendered"]?["subject"] == "Willkommen")

            let broken = try await api.call("POST", "/api/v0/notifications/templates/preview", tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","type":"sms","body":"Code {{#code}}"}"#)
            #expect(broken.status == 200)
            #expect(try broken.json()["status"] == "error")
            #expect(try broken.json()["errors"]?.arrayValue?.first?.stringValue?.hasPrefix("body.text:1:") == true)
        }
    }

    @Test func testSendDryRunAndQueued() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "tpl-test@example.com")
            let tenant = try await api.tenant(owner: owner)
            let made = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","type":"email","name":"t","subject":"Code\r\n{{code}}","body":{"html":"<b>{{code}}</b> {{missing.thing}}"}}"#)
            let templateId = try #require(try made.json()["id"]?.stringValue)

            let dry = try await api.contractCall("POST", "/api/v0/notifications/test", tenant.keys, json:
                #"{"templateId":"\#(templateId)","variables":"{\"code\":\"123456\"}","input":{"to":["a@example.com"]},"dryRun":true}"#)
            #expect(dry.status == 200, "\(dry.bodyString)")
            let data = try #require(try dry.json()["data"])
            #expect(data["notificationId"] == .null)
            #expect(data["rendered"]?["subject"] == "Code 123456")
            #expect(data["rendered"]?["html"] == "<b>123456</b> ")
            #expect(data["rendered"]?["text"] == "123456")
            #expect(data["missingVariables"] == ["missing.thing"])

            let channel = try await api.contractCall("POST", "/api/v0/notifications/channels", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Mail","key":"mail","type":"email","provider":"email_pxyz",
                 "providerSettings":{"host":"127.0.0.1","port":2525,"security":"none","password":"hunter2"}}
                """)
            #expect(channel.status == 200, "\(channel.bodyString)")
            #expect(try channel.json()["providerSettings"]?["password"] == "********")
            let channelId = try #require(try channel.json()["id"]?.stringValue)

            let queued = try await api.contractCall("POST", "/api/v0/notifications/test", tenant.keys, json:
                #"{"templateId":"\#(templateId)","channelId":"\#(channelId)","variables":{"code":"654321"},"input":{"to":["b@example.com"]}}"#)
            #expect(queued.status == 200, "\(queued.bodyString)")
            let notificationId = try #require(try queued.json()["data"]?["notificationId"]?.stringValue)
            let row = try await api.pool.withConnection { connection in
                try connection.query("""
                    SELECT status, test, type, "to"::text, rendered::text, channel_id, priority FROM notifications WHERE id = $1
                    """, [notificationId])[0]
            }
            #expect(try row.decode(0, as: String.self) == "queued")
            #expect(try row.decode(1, as: Bool.self))
            #expect(try row.decode(5, as: String.self) == channelId)
            #expect(try row.decode(6, as: Int.self) == 0)
            #expect(try JSONParser.parse(row.decode(3, as: String.self)) == ["to": ["b@example.com"]])
            let rendered = try JSONParser.parse(row.decode(4, as: String.self))
            #expect(rendered["html"] == "<b>654321</b> ")
            #expect(rendered["subject"] == "Code 654321")

            let badRecipient = try await api.call("POST", "/api/v0/notifications/test", tenant.keys, json:
                #"{"templateId":"\#(templateId)","channelId":"\#(channelId)","variables":{},"input":{"to":["not-an-email"]}}"#)
            #expect(badRecipient.status == 400)
            let badVariables = try await api.call("POST", "/api/v0/notifications/test", tenant.keys, json:
                #"{"templateId":"\#(templateId)","variables":"[1,2]","dryRun":true}"#)
            #expect(badVariables.status == 400)
        }
    }
}
