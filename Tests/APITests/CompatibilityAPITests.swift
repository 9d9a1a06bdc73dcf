import Foundation
import HeraldTestSupport
import JSON
import Testing

/// What the pxyz project's own JavaScript client (`api-clients`) sends
/// (issue #11): `/v0` paths, creates under the tenant's path, and `body` as
/// the JSON text of a document.
@Suite struct CompatibilityAPITests {
    @Test func v0AnswersLikeApiV0() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "compat-v0@example.com")
            // A create through the alias is a create.
            let created = try await api.call("POST", "/v0/tenants", owner, json: #"{"name":"Alias Corp","environment":"development"}"#)
            #expect(created.status == 200, "\(created.bodyString)")
            let tenantId = try #require(try created.json()["id"]?.stringValue)
            for (path, credential) in [("/tenants", owner), ("/tenants/\(tenantId)", owner), ("/user/whoami", owner),
                                       ("/auth/tenants/\(tenantId)/env", owner)] {
                let viaAPI = try await api.call("GET", "/api/v0" + path, credential)
                let viaAlias = try await api.call("GET", "/v0" + path, credential)
                #expect(viaAPI.status == 200, "\(path)")
                #expect(viaAlias.status == viaAPI.status && viaAlias.bodyString == viaAPI.bodyString, "\(path)")
            }
            let tenant = try await api.tenant(owner: owner, name: "Keys Corp")
            let templates = "/tenants/\(tenant.id)/notifications/templates?type=sms"
            #expect(try await api.call("GET", "/v0" + templates, tenant.keys).bodyString
                    == (try await api.call("GET", "/api/v0" + templates, tenant.keys).bodyString))
            // Refusals too: no credentials, unknown path, wrong method, another tenant.
            for (method, path, credential) in [("GET", "/tenants", nil as Credential?), ("GET", "/no-such-route", owner),
                                               ("DELETE", "/tenants", owner),
                                               ("GET", "/auth/tenants/\(tenantId)", tenant.keys)] {
                let viaAPI = try await api.call(method, "/api/v0" + path, credential)
                let viaAlias = try await api.call(method, "/v0" + path, credential)
                #expect(viaAPI.status >= 400, "\(method) \(path): \(viaAPI.status)")
                #expect(viaAlias.status == viaAPI.status && viaAlias.bodyString == viaAPI.bodyString,
                        "\(method) \(path): \(viaAlias.status) \(viaAlias.bodyString) vs \(viaAPI.status) \(viaAPI.bodyString)")
            }
            // Probes stay where they were.
            #expect(try await api.call("GET", "/healthz").status == 200)
            #expect(try await api.call("GET", "/api/v0/healthz").status == 200)
        }
    }

    @Test func createUnderTheTenantsPath() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "compat-create@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: try await api.token(email: "compat-other@example.com"), name: "Other")
            let path = "/api/v0/tenants/\(tenant.id)/notifications/templates"
            let body = #""type":"sms","body":"Your code is {{code}}""#

            let created = try await api.call("POST", path, tenant.keys, json: #"{"name":"from-path",\#(body)}"#)
            #expect(created.status == 200, "\(created.bodyString)")
            #expect(try created.json()["tenantId"]?.stringValue == tenant.id)
            #expect(try created.json()["body"]?["text"] == "Your code is {{code}}")
            // The served spec lists it, and the answer has the create's schema.
            let served = try OpenAPIContract(document: try await api.call("GET", "/openapi.json").json())
            let operation = try #require(served.operation(method: "POST", path: path))
            #expect(operation.operationId == "herald-tenants-createTemplate")
            #expect(served.validate(method: "POST", path: path, status: 200, body: created.body).isEmpty)
            #expect(served.operation(method: "GET", path: path)?.operationId == "notifications-templates-list")

            let same = try await api.call("POST", "/v0/tenants/\(tenant.id)/notifications/templates", owner,
                                          json: #"{"tenantId":"\#(tenant.id)","name":"same-tenant",\#(body)}"#)
            #expect(same.status == 200, "a matching tenantId in the body is fine: \(same.bodyString)")
            let mismatch = try await api.call("POST", path, tenant.keys, json: #"{"tenantId":"\#(other.id)","name":"x",\#(body)}"#)
            #expect(mismatch.status == 404, "another tenant named in the body is 404 (issue 11): \(mismatch.bodyString)")
            let foreign = try await api.call("POST", "/api/v0/tenants/\(other.id)/notifications/templates", tenant.keys,
                                             json: #"{"name":"intruder",\#(body)}"#)
            #expect(foreign.status == 404)
            #expect(try await api.call("POST", "/api/v0/tenants/not-an-id/notifications/templates", tenant.keys,
                                       json: #"{"name":"x",\#(body)}"#).status == 404)
            let list = try await api.call("GET", path + "?type=sms&perPage=100", tenant.keys).json()
            let names = list["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("from-path") && names.contains("same-tenant") && !names.contains("x"))
            let otherNames = try await api.call("GET", "/api/v0/tenants/\(other.id)/notifications/templates?perPage=100", other.keys)
                .json()["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(!otherNames.contains("intruder"))
        }
    }

    @Test func aStringBodyHoldingADocumentIsTheDocument() async throws {
        try await APIHarness.with { api in
            let tenant = try await api.tenant(owner: try await api.token(email: "compat-body@example.com"))
            let created = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","type":"email","name":"doc-text","subject":"Hi",
                 "body":"{\\"html\\":\\"<p>Hi {{name}}</p>\\",\\"text\\":\\"Hi {{name}}\\"}"}
                """)
            #expect(created.status == 200, "\(created.bodyString)")
            #expect(try created.json()["body"] == ["html": "<p>Hi {{name}}</p>", "text": "Hi {{name}}"])
            let id = try #require(try created.json()["id"]?.stringValue)
            let path = "/api/v0/notifications/templates/\(id)"

            func put(_ body: String) async throws -> JSONValue? {
                let response = try await api.contractCall("PUT", path, tenant.keys, json: #"{"body":\#(body)}"#)
                #expect(response.status == 200, "\(body): \(response.bodyString)")
                return try response.json()["body"]
            }
            // The document as JSON text, with locales.
            let document = #"{"html":"<b>{{code}}</b>","locales":{"de":{"html":"<b>Code {{code}}</b>","subject":"Hallo"}}}"#
            #expect(try await put(JSONValue.string(document).jsonString) == (try JSONParser.parse(document)))
            // Leading white space is still a document.
            #expect(try await put(JSONValue.string("\n {\"html\":\"<i>x</i>\"}").jsonString) == ["html": "<i>x</i>"])
            // Any other string is the main part: plain HTML, JSON with other keys, JSON that is not an object.
            #expect(try await put(#""<p>plain</p>""#) == ["html": "<p>plain</p>"])
            #expect(try await put(JSONValue.string(#"{"greeting":"hi"}"#).jsonString) == ["html": #"{"greeting":"hi"}"#])
            #expect(try await put(JSONValue.string(#"{"html":"a","other":1}"#).jsonString) == ["html": #"{"html":"a","other":1}"#])
            #expect(try await put(JSONValue.string(#"["html"]"#).jsonString) == ["html": #"["html"]"#])
            #expect(try await put(JSONValue.string("{}").jsonString) == ["html": "{}"])
            // `title` is a push part, not an email's: for an email the string is its HTML.
            #expect(try await put(JSONValue.string(#"{"title":"x"}"#).jsonString) == ["html": #"{"title":"x"}"#])

            // A webhook's main part is JSON text: a template with its own keys stays one.
            let hook = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","type":"webhook","name":"hook","body":"{\\"event\\":\\"{{name}}\\"}"}
                """)
            #expect(hook.status == 200, "\(hook.bodyString)")
            #expect(try hook.json()["body"] == ["json": #"{"event":"{{name}}"}"#])
            let hookDocument = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","type":"webhook","name":"hook-doc","body":"{\\"json\\":{\\"event\\":\\"{{name}}\\"}}"}
                """)
            #expect(try hookDocument.json()["body"] == ["json": ["event": "{{name}}"]])
        }
    }
}
