import HeraldTestSupport
import JSON
import Testing

/// The response validator against the real pxyz contract, so API tests can trust it.
@Suite struct OpenAPIValidatorTests {
    let contract: OpenAPIContract

    init() throws { contract = try OpenAPIContract.load() }

    static let tenantID = "clx0abc12345"

    /// A Tenant as `GET /tenants/{id}` returns it.
    static let tenant: JSONValue = [
        "id": .string(tenantID), "name": "Acme", "slug": "acme", "publicKey": "pk_test_123",
        "logoId": nil, "logoUri": nil, "iconId": "clx0icon5678", "iconUri": "https://cdn.example.com/i.png",
        "environment": "development",
        "createdAt": "2024-05-01T12:30:00.123Z", "updatedAt": "2024-05-01T14:30:00+02:00",
    ]

    func tenantProblems(_ edit: (inout JSONObject) -> Void) -> [String] {
        var object = Self.tenant.objectValue!
        edit(&object)
        return contract.validate(method: "GET", path: "/api/v0/tenants/\(Self.tenantID)", status: 200,
                                 body: JSONValue.object(object).encoded())
    }

    // MARK: Contract and operations

    @Test func loadsAllOperations() throws {
        #expect(contract.operations.count == 127)
        #expect(Set(contract.operations.map(\.operationId)).count == 127)
        #expect(contract.basePath == "/api/v0")
        #expect(contract.operations.allSatisfy { $0.responseSchema(status: 200) != nil })
        #expect(contract.operations.allSatisfy { $0.responseKey(status: 404) == "default" })
        // Cached process-wide: the same path answers without parsing again.
        let again = try OpenAPIContract.load(path: OpenAPIContract.defaultPath)
        #expect(again.operations.count == 127)
    }

    @Test func missingFileThrows() {
        #expect(throws: OpenAPIContractError.self) { try OpenAPIContract.load(path: "/nonexistent/openapi.json") }
    }

    @Test func matchesConcretePaths() {
        func id(_ method: String, _ path: String) -> String? { contract.operation(method: method, path: path)?.operationId }
        #expect(id("GET", "/api/v0/tenants/\(Self.tenantID)") == "tenants-get")
        #expect(id("get", "/tenants/\(Self.tenantID)") == "tenants-get")  // base path optional, method any case
        #expect(id("GET", "/api/v0/tenants/\(Self.tenantID)?expand=1") == "tenants-get")
        // A literal segment beats a parameter in the same place.
        #expect(id("GET", "/api/v0/tenants/slug/acme") == "tenants-getBySlug")
        #expect(contract.operation(method: "POST", path: "/api/v0/tenants/members/invite")?.path == "/tenants/members/invite")
        #expect(contract.operation(method: "PATCH", path: "/api/v0/tenants/members/c123456789")?.path == "/tenants/members/{id}")
        #expect(contract.operation(method: "GET", path: "/api/v0/auth/tenants/c123456789")?.path == "/auth/tenants/{id}")
        #expect(contract.operation(method: "GET", path: "/api/v0/tenants")?.path == "/tenants")
        // Not in the contract: extra segments, wrong method, other prefix.
        #expect(contract.operation(method: "GET", path: "/api/v0/tenants/\(Self.tenantID)/brand") == nil)
        #expect(contract.operation(method: "POST", path: "/api/v0/tenants/slug/acme") == nil)
        #expect(contract.operation(method: "GET", path: "/api/v1/tenants") == nil)
        let problems = contract.validate(method: "GET", path: "/api/v0/nowhere", status: 200, body: "{}")
        #expect(problems == ["no operation in the contract for GET /api/v0/nowhere"])
    }

    // MARK: Tenant (GET /tenants/{id})

    @Test func validTenantPasses() {
        let problems = tenantProblems { _ in }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func extraPropertyFails() {
        let problems = tenantProblems { $0["color"] = "red" }
        #expect(problems == [#"(root): unexpected property "color" (additionalProperties is false)"#])
    }

    @Test func missingRequiredFails() {
        let problems = tenantProblems { $0["slug"] = nil }
        #expect(problems == [#"(root): missing required property "slug""#])
        // A required nullable property must still be present.
        #expect(tenantProblems { $0["logoId"] = nil } == [#"(root): missing required property "logoId""#])
    }

    @Test func wrongTypeFails() {
        #expect(tenantProblems { $0["name"] = 42 } == ["/name: expected string, got integer"])
        #expect(tenantProblems { $0["name"] = JSONValue.null } == ["/name: expected string, got null (not nullable)"])
        let whole = contract.validate(method: "GET", path: "/api/v0/tenants/\(Self.tenantID)", status: 200, body: "[]")
        #expect(whole == ["(root): expected object, got array"])
    }

    @Test func badIdPatternFails() {
        let problems = tenantProblems { $0["id"] = "tenant-1" }
        #expect(problems == [#"/id: "tenant-1" does not match pattern ^c[^\s-]{8,}$"#])
        #expect(tenantProblems { $0["iconId"] = "c1234-5678" }.count == 1)
        #expect(tenantProblems { $0["iconId"] = "c12345678" }.isEmpty)
    }

    @Test func badDateTimeFails() {
        for bad in ["2024-05-01", "2024-05-01 12:30:00Z", "2024-05-01T12:30:00", "2024-13-01T00:00:00Z",
                    "2023-02-29T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:30:00.Z", "2024-05-01T12:30:00+0200",
                    "2024-05-01T12:30:60Z", "yesterday"] {
            let problems = tenantProblems { $0["createdAt"] = .string(bad) }
            #expect(problems == ["/createdAt: \(JSONValue.string(bad).jsonString) is not a valid date-time"], "\(bad)")
        }
        for good in ["2024-02-29T00:00:00Z", "2024-05-01t12:30:00z", "2024-05-01T12:30:00.123456-07:00",
                     "2016-12-31T23:59:60Z", "2017-01-01T00:59:60+01:00"] {
            #expect(tenantProblems { $0["createdAt"] = .string(good) }.isEmpty, "\(good)")
        }
    }

    @Test func nullableAcceptsNull() {
        #expect(tenantProblems { $0["iconId"] = JSONValue.null }.isEmpty)
        // Null skips the pattern; a wrong non-null value does not.
        #expect(tenantProblems { $0["logoId"] = "x" }.count == 1)
    }

    @Test func listEnvelopeReportsItemPointers() {
        var second = Self.tenant.objectValue!
        second["slug"] = 7
        let body = JSONValue.array([Self.tenant, .object(second)]).encoded()
        let problems = contract.validate(method: "GET", path: "/api/v0/tenants", status: 200, body: body)
        #expect(problems == ["/1/slug: expected string, got integer"])
    }

    // MARK: Error responses (default → components.responses.error)

    @Test func errorShape() {
        let path = "/api/v0/tenants/\(Self.tenantID)"
        let ok = contract.validate(method: "GET", path: path, status: 404, body: #"{"message":"Not found","code":"NOT_FOUND"}"#)
        #expect(ok.isEmpty, "\(ok)")
        let issues = #"{"message":"Bad","code":"VALIDATION","issues":[{"message":"name is required"}]}"#
        #expect(contract.validate(method: "PUT", path: path, status: 400, body: issues).isEmpty)
        let extra = contract.validate(method: "GET", path: path, status: 404,
                                      body: #"{"message":"Not found","code":"NOT_FOUND","detail":"x"}"#)
        #expect(extra == [#"(root): unexpected property "detail" (additionalProperties is false)"#])
        let noCode = contract.validate(method: "DELETE", path: path, status: 401, body: #"{"message":"No"}"#)
        #expect(noCode == [#"(root): missing required property "code""#])
        let badIssue = contract.validate(method: "GET", path: path, status: 422,
                                         body: #"{"message":"x","code":"Y","issues":[{"path":"a"}]}"#)
        #expect(badIssue.count == 2, "\(badIssue)")
        #expect(badIssue.allSatisfy { $0.hasPrefix("/issues/0: ") })
    }

    @Test func bodyThatIsNotJSON() {
        let path = "/api/v0/tenants/\(Self.tenantID)"
        #expect(contract.validate(method: "GET", path: path, status: 200, body: []) == ["(root): body is empty; expected JSON"])
        #expect(contract.validate(method: "GET", path: path, status: 200, body: "{").first?.hasPrefix("(root): body is not JSON") == true)
    }

    // MARK: anyOf [{not: {}}, object] (GET /auth/tenants/{id})

    @Test func anyOfWithNotEmpty() {
        var authTenant = Self.tenant.objectValue!
        authTenant["creatorId"] = nil
        authTenant["auth"] = nil
        authTenant["domains"] = [["primary": true, "name": "acme.example.com"]]
        let path = "/api/v0/auth/tenants/\(Self.tenantID)"
        let ok = contract.validate(method: "GET", path: path, status: 200, value: .object(authTenant))
        #expect(ok.isEmpty, "\(ok)")
        // `{"not": {}}` matches nothing, so only the object branch can accept.
        for value: JSONValue in ["text", 1, true, []] {
            #expect(!contract.validate(method: "GET", path: path, status: 200, value: value).isEmpty, "\(value)")
        }
        authTenant["domains"] = [["primary": "yes", "name": "acme.example.com"]]
        let problems = contract.validate(method: "GET", path: path, status: 200, value: .object(authTenant))
        #expect(problems == ["(root): matches none of the 2 anyOf schemas; closest is anyOf[1]:",
                             "  anyOf[1] → /domains/0/primary: expected boolean, got string"])
        #expect(contract.validate(value: 1, against: ["not": [:]]).count == 1)
        #expect(contract.validate(value: .null, against: ["not": [:]]).count == 1)
    }

    // MARK: Keywords in isolation

    @Test func numbers() {
        let integer: JSONValue = ["type": "integer", "minimum": 0]
        #expect(contract.validate(value: 3, against: integer).isEmpty)
        #expect(contract.validate(value: 3.0, against: integer).isEmpty)  // whole double is an integer
        #expect(contract.validate(value: 3.5, against: integer) == ["(root): expected integer, got number"])
        #expect(contract.validate(value: -1, against: integer) == ["(root): -1 is less than minimum 0"])
        let positive: JSONValue = ["type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 100]
        #expect(contract.validate(value: 0.5, against: positive).isEmpty)
        #expect(contract.validate(value: 0, against: positive).count == 1)
        #expect(contract.validate(value: 100, against: positive).isEmpty)
        #expect(contract.validate(value: 100.5, against: positive).count == 1)
        #expect(contract.validate(value: "1", against: positive) == [#"(root): expected number, got string"#])
    }

    @Test func enumsAndNullable() {
        let env: JSONValue = ["type": "string", "enum": ["development", "staging", "production"]]
        #expect(contract.validate(value: "staging", against: env).isEmpty)
        #expect(contract.validate(value: "prod", against: env).count == 1)
        #expect(contract.validate(value: .null, against: env).count == 1)
        // OpenAPI 3.0: nullable admits null even when the enum does not list it.
        let nullableEnum: JSONValue = ["type": "string", "enum": ["a"], "nullable": true]
        #expect(contract.validate(value: .null, against: nullableEnum).isEmpty)
        #expect(contract.validate(value: 1, against: ["enum": [1.0]]).isEmpty)  // numbers compare by value
        #expect(contract.validate(value: .null, against: ["enum": [nil]]).isEmpty)
        #expect(contract.validate(value: "x", against: ["nullable": true]).isEmpty)
    }

    @Test func stringsAndPatterns() {
        let short: JSONValue = ["type": "string", "minLength": 2, "maxLength": 3]
        #expect(contract.validate(value: "é🎉", against: short).isEmpty)  // counted in code points
        #expect(contract.validate(value: "a", against: short).count == 1)
        #expect(contract.validate(value: "abcd", against: short).count == 1)
        // ECMA semantics: `$` is end of input, hyphens after a range are literal.
        let slug: JSONValue = ["type": "string", "pattern": "^[a-z0-9-_]+$"]
        #expect(contract.validate(value: "a-b_c", against: slug).isEmpty)
        #expect(contract.validate(value: "abc\n", against: slug).count == 1)
        #expect(contract.validate(value: "a&b", against: ["pattern": "^[a&&b]+$"]).isEmpty)
        #expect(contract.validate(value: "٣", against: ["pattern": #"^\d$"#]).count == 1)  // \d is ASCII only
        let domain = #"^(((?!-))(xn--)?[a-z0-9\-_]{0,61}[a-z0-9]{1,1}\.)*(xn--)?([a-z0-9-]{1,61}|[a-z0-9-]{1,30})\.[a-z]{2,}$"#
        #expect(contract.validate(value: "mail.acme.example.com", against: ["pattern": .string(domain)]).isEmpty)
        #expect(contract.validate(value: "Acme.com", against: ["pattern": .string(domain)]).count == 1)
        #expect(contract.validate(value: "x", against: ["pattern": "(unclosed"]).first?.contains("not a valid regular") == true)
    }

    @Test func formats() {
        let email: JSONValue = ["type": "string", "format": "email"]
        for good in ["a@example.com", "first.last+tag@sub.example.co", #""odd one"@example.com"#] {
            #expect(contract.validate(value: .string(good), against: email).isEmpty, "\(good)")
        }
        for bad in ["example.com", "a@", "@example.com", "a b@example.com", "a..b@example.com", "a@-x.com", "a@x..com"] {
            #expect(contract.validate(value: .string(bad), against: email).count == 1, "\(bad)")
        }
        let uri: JSONValue = ["type": "string", "format": "uri"]
        for good in ["https://cdn.example.com/a%20b.png?x=1#top", "mailto:a@example.com", "urn:isbn:0451450523"] {
            #expect(contract.validate(value: .string(good), against: uri).isEmpty, "\(good)")
        }
        for bad in ["/relative/path", "https://x.com/a b", "https://x.com/%zz", "1http://x.com", "https://x.com/#a#b"] {
            #expect(contract.validate(value: .string(bad), against: uri).count == 1, "\(bad)")
        }
        #expect(contract.validate(value: "whatever", against: ["format": "made-up"]).isEmpty)
        #expect(contract.validate(value: 5, against: ["format": "email"]).isEmpty)  // formats apply to strings only
    }

    @Test func compositionAndRefs() {
        let oneOf: JSONValue = ["oneOf": [["type": "integer"], ["type": "number"]]]
        #expect(contract.validate(value: 1.5, against: oneOf).isEmpty)
        #expect(contract.validate(value: 1, against: oneOf).first?.contains("more than one oneOf") == true)
        let allOf: JSONValue = ["allOf": [["required": ["a"]], ["required": ["b"]]]]
        #expect(contract.validate(value: ["a": 1], against: allOf) == [#"(root): missing required property "b""#])
        let map: JSONValue = ["type": "object", "additionalProperties": ["type": "string"]]
        #expect(contract.validate(value: ["a": "x", "b/c": 2], against: map) == ["/b~1c: expected string, got integer"])
        #expect(contract.validate(value: ["a": 1], against: ["type": "object"]).isEmpty)  // absent = allowed
        let error: JSONValue = ["$ref": "#/components/responses/error/content/application~1json/schema"]
        #expect(contract.validate(value: ["message": "m", "code": "C"], against: error).isEmpty)
        #expect(contract.validate(value: ["message": "m"], against: error).count == 1)
        #expect(contract.validate(value: 1, against: ["$ref": "#/nowhere"]).first?.contains("unresolvable") == true)
        let items: JSONValue = ["type": "array", "items": ["type": "boolean"], "minItems": 1, "maxItems": 2]
        #expect(contract.validate(value: [true], against: items).isEmpty)
        #expect(contract.validate(value: [], against: items).count == 1)
        #expect(contract.validate(value: [true, false, true], against: items).count == 1)
        #expect(contract.validate(value: [true, 1], against: items) == ["/1: expected boolean, got integer"])
    }

    /// Every pattern in the file compiles, and every `$ref` in it resolves.
    @Test func everyPatternAndRefInTheContractWorks() {
        var patterns: Set<String> = [], refs: Set<String> = []
        func walk(_ node: JSONValue) {
            switch node {
            case .object(let object):
                if case .string(let p)? = object["pattern"] { patterns.insert(p) }
                if case .string(let r)? = object["$ref"] { refs.insert(r) }
                for (_, child) in object { walk(child) }
            case .array(let array): array.forEach(walk)
            default: break
            }
        }
        walk(contract.document)
        #expect(patterns.count >= 3 && !refs.isEmpty)
        for pattern in patterns {
            let problems = contract.validate(value: "", against: ["pattern": .string(pattern)])
            #expect(!problems.contains { $0.contains("not a valid regular") }, "\(pattern)")
        }
        for ref in refs {
            #expect(!contract.validate(value: 1, against: ["$ref": .string(ref)]).contains { $0.contains("unresolvable") })
        }
    }
}
