import Foundation
import HeraldTestSupport
import JSON
import Postgres
import Store
import Testing

/// Shared by the user, contact and session suites.
enum UserTestSupport {
    /// Cheap scrypt parameters for the in-process server, set before the hasher is first used.
    static func createUser(_ api: APIHarness, _ tenant: TestTenant, _ fields: String = #""name":"Ada""#,
                           sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let response = try await api.contractCall("POST", "/api/v0/auth/users", tenant.keys,
                                                  json: #"{"tenantId":"\#(tenant.id)",\#(fields)}"#,
                                                  sourceLocation: sourceLocation)
        #expect(response.status == 200, "\(response.bodyString)", sourceLocation: sourceLocation)
        return try response.json()
    }

    /// The code queued (newest first) for an address, as the worker would read it.
    static func queuedCode(_ api: APIHarness, to address: String) async throws -> String? {
        try await api.pool.withConnection { connection in
            try connection.query("""
                SELECT variables->>'code' FROM notifications WHERE "to"->'to'->>0 = $1 ORDER BY created_at DESC, seq DESC LIMIT 1
                """, [address]).first?.decode(0, as: String?.self)
        }
    }

    static func count(_ api: APIHarness, _ sql: String, _ binds: [String] = []) async throws -> Int {
        try await api.pool.withConnection { connection in
            try connection.query(sql, binds.map { $0 as (any PostgresBind)? })[0].decode(0, as: Int.self)
        }
    }
}

/// Users: create with email and phone, list, get, update, delete, passwords, suspension, tenancy.
@Suite struct UserAPITests {
    @Test func usersThroughTheContract() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "users@example.com")
            let tenant = try await api.tenant(owner: owner)
            let user = try await UserTestSupport.createUser(api, tenant, """
                "name":"Ada Lovelace","email":"ada@example.com","phone":"+14155550123","username":"ada",
                "password":"correct horse","publicMeta":{"plan":"pro"}
                """)
            let id = try #require(user["id"]?.stringValue)
            #expect(user["emailAddresses"]?.arrayValue?.first?["email"] == "ada@example.com")
            #expect(user["emailAddresses"]?.arrayValue?.first?["verifiedAt"] == .null)
            #expect(user["phoneNumbers"]?.arrayValue?.first?["phone"] == "+14155550123")
            #expect(user["primaryEmailId"] == user["emailAddresses"]?.arrayValue?.first?["id"])
            #expect(user["primaryPhoneId"] == user["phoneNumbers"]?.arrayValue?.first?["id"])
            #expect(user["publicMeta"] == ["plan": "pro"])
            #expect(user["status"] == "active")

            // The password is stored only as a scrypt hash and never answered.
            let stored = try #require(try await api.services.store.passwordHash(userId: id, tenantId: tenant.id))
            #expect(stored.hasPrefix("$scrypt$") && !stored.contains("correct horse"))
            #expect(await api.services.store.passwords.verify("correct horse", against: stored))

            let list = try await api.contractCall("GET", "/api/v0/auth/users?tenantId=\(tenant.id)", tenant.keys)
            #expect(try list.json()["data"]?.arrayValue?.count == 1)
            #expect(!list.bodyString.contains("scrypt") && !list.bodyString.contains("password"))
            let asOwner = try await api.contractCall("GET", "/api/v0/auth/users?tenantId=\(tenant.id)", owner)
            #expect(asOwner.status == 200, "a member with the users flags may list them")
            let stranger = try await api.token(email: "stranger@example.com")
            #expect(try await api.call("GET", "/api/v0/auth/users/\(id)", stranger).status == 404)
            let got = try await api.contractCall("GET", "/api/v0/auth/users/\(id)", tenant.keys)
            #expect(try got.json()["status"] == "success")
            #expect(try got.json()["data"]?["username"] == "ada")

            let updated = try await api.contractCall("PUT", "/api/v0/auth/users/\(id)", tenant.keys, json: """
                {"name":"Ada King","imageUri":"https://example.com/ada.png","status":"inactive","privateMeta":{"note":1}}
                """)
            #expect(try updated.json()["name"] == "Ada King")
            #expect(try updated.json()["imageUri"] == "https://example.com/ada.png")
            #expect(try updated.json()["status"] == "inactive")
            #expect(try updated.json()["privateMeta"] == ["note": 1])
            #expect(try updated.json()["publicMeta"] == ["plan": "pro"], "fields not sent stay")
            let cleared = try await api.contractCall("PUT", "/api/v0/auth/users/\(id)", tenant.keys, json: #"{"imageUri":""}"#)
            #expect(try cleared.json()["imageUri"] == .null)

            let changed = try await api.contractCall("PUT", "/api/v0/auth/users/\(id)/change-password", tenant.keys,
                                                     json: #"{"password":"battery staple"}"#)
            #expect(changed.status == 200 && !changed.bodyString.contains("battery"))
            let rehashed = try #require(try await api.services.store.passwordHash(userId: id, tenantId: tenant.id))
            #expect(await api.services.store.passwords.verify("battery staple", against: rehashed))
            #expect(await !api.services.store.passwords.verify("correct horse", against: rehashed))
            let short = try await api.call("PUT", "/api/v0/auth/users/\(id)/change-password", tenant.keys, json: #"{"password":"abc"}"#)
            #expect(short.status == 400 && short.bodyString.contains("password"))

            // Suspending signs the user out.
            _ = try await api.pool.withConnection { connection in
                try connection.query("""
                    INSERT INTO sessions (id, tenant_id, user_id, expires_at) VALUES ($1, $2, $3, now() + interval '1 day')
                    """, ["csession000000000000000001", tenant.id, id])
            }
            let suspended = try await api.contractCall("PUT", "/api/v0/auth/users/\(id)/suspend", tenant.keys)
            #expect(try suspended.json()["status"] == "suspended")
            #expect(try await UserTestSupport.count(api, "SELECT count(*) FROM sessions WHERE user_id = $1", [id]) == 0)
            let active = try await api.contractCall("PUT", "/api/v0/auth/users/\(id)/unsuspend", tenant.keys)
            #expect(try active.json()["status"] == "active")
            _ = try await api.pool.withConnection { connection in
                try connection.query("""
                    INSERT INTO sessions (id, tenant_id, user_id, expires_at) VALUES ($1, $2, $3, now() + interval '1 day')
                    """, ["csession000000000000000002", tenant.id, id])
            }
            let viaUpdate = try await api.contractCall("PUT", "/api/v0/auth/users/\(id)", tenant.keys, json: #"{"status":"suspended"}"#)
            #expect(try viaUpdate.json()["status"] == "suspended")
            #expect(try await UserTestSupport.count(api, "SELECT count(*) FROM sessions WHERE user_id = $1", [id]) == 0)

            let deleted = try await api.contractCall("DELETE", "/api/v0/auth/users/\(id)", tenant.keys)
            #expect(try deleted.json()["id"]?.stringValue == id)
            #expect(try await UserTestSupport.count(api, "SELECT count(*) FROM email_addresses WHERE user_id = $1", [id]) == 0)
            #expect(try await api.call("GET", "/api/v0/auth/users/\(id)", tenant.keys).status == 404)
            #expect(try await api.call("DELETE", "/api/v0/auth/users/\(id)", tenant.keys).status == 404)
        }
    }

    @Test func invalidInputIsRefusedFieldByField() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "users-bad@example.com")
            let tenant = try await api.tenant(owner: owner)
            let bad = try await api.contractCall("POST", "/api/v0/auth/users", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","email":"not-an-email","phone":"0415 555","password":"123"}
                """)
            #expect(bad.status == 400)
            let issues = try bad.json()["issues"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            #expect(issues.contains { $0.hasPrefix("email:") })
            #expect(issues.contains { $0.hasPrefix("phone:") })
            #expect(issues.contains { $0.hasPrefix("password:") })
            #expect(try await api.call("POST", "/api/v0/auth/users", tenant.keys, json: #"{"name":"x"}"#).status == 400)
            #expect(try await api.call("GET", "/api/v0/auth/users", tenant.keys).status == 400, "tenantId is required")
            let badRole = try await api.call("POST", "/api/v0/auth/users", tenant.keys,
                                             json: #"{"tenantId":"\#(tenant.id)","roleId":"cnosuchrole0000000000000"}"#)
            #expect(badRole.status == 400 && badRole.bodyString.contains("roleId"))

            _ = try await UserTestSupport.createUser(api, tenant, #""username":"grace""#)
            let duplicate = try await api.call("POST", "/api/v0/auth/users", tenant.keys,
                                               json: #"{"tenantId":"\#(tenant.id)","username":"GRACE"}"#)
            #expect(duplicate.status == 409)
            let status = try await api.call("PUT", "/api/v0/auth/users/cnosuchuser0000000000000", tenant.keys, json: "{}")
            #expect(status.status == 404)
        }
    }

    @Test func aRoleIsShownWithTheUser() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "users-role@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Corp")
            _ = try await api.pool.withConnection { connection in
                try connection.query("""
                    INSERT INTO roles (id, tenant_id, name, description, permissions)
                    VALUES ('croleadmin00000000000001', $1, 'admin', 'Administrators', '{users:write}'),
                           ('croleother00000000000001', $2, 'admin', NULL, '{}')
                    """, [tenant.id, other.id])
            }
            let user = try await UserTestSupport.createUser(api, tenant, #""name":"Root","roleId":"croleadmin00000000000001""#)
            #expect(user["role"]?["name"] == "admin")
            #expect(user["role"]?["permissions"] == ["users:write"])
            let id = try #require(user["id"]?.stringValue)
            let foreign = try await api.call("PUT", "/api/v0/auth/users/\(id)", tenant.keys,
                                             json: #"{"roleId":"croleother00000000000001"}"#)
            #expect(foreign.status == 400, "another tenant's role is refused")
            let none = try await api.contractCall("PUT", "/api/v0/auth/users/\(id)", tenant.keys, json: #"{"roleId":null}"#)
            #expect(try none.json()["role"] == .null)
        }
    }

    /// A conflict on the phone rolls back the user and its email address: the
    /// email's verification code, queued in that transaction, is never sent.
    @Test func aRolledBackCreationQueuesNothing() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "users-rollback@example.com")
            let tenant = try await api.tenant(owner: owner)
            _ = try await UserTestSupport.createUser(api, tenant, #""email":"first@example.com","phone":"+4930123456""#)
            let before = try await UserTestSupport.count(api, "SELECT count(*) FROM notifications")
            #expect(before == 2)
            let conflict = try await api.contractCall("POST", "/api/v0/auth/users", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Second","email":"second@example.com","phone":"+4930123456"}
                """)
            #expect(conflict.status == 409)
            #expect(try await UserTestSupport.count(api, "SELECT count(*) FROM notifications") == before)
            #expect(try await UserTestSupport.queuedCode(api, to: "second@example.com") == nil)
            #expect(try await UserTestSupport.count(api, "SELECT count(*) FROM users WHERE name = 'Second'") == 0)
            #expect(try await UserTestSupport.count(api, "SELECT count(*) FROM email_addresses WHERE email = 'second@example.com'") == 0)
            #expect(try await UserTestSupport.count(api, "SELECT count(*) FROM verification_codes") == 2)
            // The same address in another case is the same address.
            let sameEmail = try await api.call("POST", "/api/v0/auth/users", tenant.keys,
                                               json: #"{"tenantId":"\#(tenant.id)","email":"FIRST@example.com"}"#)
            #expect(sameEmail.status == 409)
        }
    }

    @Test func creationQueuesCodesWithTheRequestLocale() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "users-locale@example.com")
            let tenant = try await api.tenant(owner: owner, name: "Locale Corp")
            let created = try await api.call("POST", "/api/v0/auth/users", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Jürgen","email":"j@example.com","phone":"+4915112345678"}
                """, headers: [("Accept-Language", "de-AT,de;q=0.9,en;q=0.5")])
            #expect(created.status == 200)
            let rows = try await api.pool.withConnection { connection in
                try connection.query("""
                    SELECT n.type, n.locale, n.priority, n.template_name, n.variables::text, n."to"::text,
                           n.template_id IS NOT DISTINCT FROM (CASE n.type WHEN 'email' THEN a.code_verification_email_template_id
                                                               ELSE a.code_verification_sms_template_id END),
                           n.status, n.rendered IS NULL
                    FROM notifications n JOIN tenant_auth_settings a ON a.tenant_id = n.tenant_id
                    WHERE n.tenant_id = $1 ORDER BY n.type
                    """, [tenant.id])
            }
            #expect(rows.count == 2)
            for row in rows {
                #expect(try row.decode(1, as: String.self) == "de-AT")
                #expect(try row.decode(2, as: Int.self) == 0, "interactive priority")
                #expect(try row.decode(6, as: Bool.self), "the AuthSettings template, when set")
                #expect(try row.decode(7, as: String.self) == "queued")
                #expect(try row.decode(3, as: String?.self) == "verification-code", "the worker's fallback")
                #expect(try row.decode(8, as: Bool.self), "the worker renders")
                let variables = try JSONParser.parse(try row.decode(4, as: String.self))
                #expect(variables["tenant"]?["name"] == "Locale Corp")
                #expect(variables["user"]?["name"] == "Jürgen")
                #expect(variables["user"]?["email"] == "j@example.com")
                #expect(variables["expiresInMinutes"] == 10)
                #expect(variables["code"]?.stringValue?.count == 6)
            }
            #expect(try rows[0].decode(0, as: String.self) == "email")
            #expect(try JSONParser.parse(try rows[0].decode(5, as: String.self)) == ["to": ["j@example.com"]])
            #expect(try rows[1].decode(0, as: String.self) == "sms")
            #expect(try JSONParser.parse(try rows[1].decode(5, as: String.self)) == ["to": ["+4915112345678"]])
        }
    }

    @Test func anotherTenantGets404AndChangesNothing() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "users-iso@example.com")
            let tenant = try await api.tenant(owner: owner)
            let intruder = try await api.tenant(owner: try await api.token(email: "intruder@example.com"), name: "Intruder")
            let user = try await UserTestSupport.createUser(api, tenant, #""name":"Kept","password":"secret123""#)
            let id = try #require(user["id"]?.stringValue)
            let hash = try await api.services.store.passwordHash(userId: id, tenantId: tenant.id)
            let calls: [(String, String, String?)] = [
                ("GET", "/api/v0/auth/users/\(id)", nil),
                ("PUT", "/api/v0/auth/users/\(id)", #"{"name":"Stolen"}"#),
                ("PUT", "/api/v0/auth/users/\(id)/change-password", #"{"password":"stolen123"}"#),
                ("PUT", "/api/v0/auth/users/\(id)/suspend", nil),
                ("PUT", "/api/v0/auth/users/\(id)/unsuspend", nil),
                ("DELETE", "/api/v0/auth/users/\(id)", nil),
                ("GET", "/api/v0/auth/users?tenantId=\(tenant.id)", nil),
                ("POST", "/api/v0/auth/users", #"{"tenantId":"\#(tenant.id)","name":"Planted"}"#),
            ]
            for (method, path, body) in calls {
                let response = try await api.contractCall(method, path, intruder.keys, json: body)
                #expect(response.status == 404, "\(method) \(path)")
            }
            let after = try await api.contractCall("GET", "/api/v0/auth/users/\(id)", tenant.keys)
            #expect(try after.json()["data"]?["name"] == "Kept")
            #expect(try after.json()["data"]?["status"] == "active")
            #expect(try await api.services.store.passwordHash(userId: id, tenantId: tenant.id) == hash)
            #expect(try await UserTestSupport.count(api, "SELECT count(*) FROM users") == 1)
            // The intruder's own list does not show it.
            let own = try await api.contractCall("GET", "/api/v0/auth/users?tenantId=\(intruder.id)", intruder.keys)
            #expect(try own.json()["data"]?.arrayValue?.isEmpty == true)
        }
    }
}
