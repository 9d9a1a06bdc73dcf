import Foundation
import HeraldTestSupport
import JSON
import Postgres
import Store
import Testing

/// Sessions, sign-in and sign-up attempts: read and delete. Rows are written
/// directly, as Herald's sign-in flow would.
@Suite struct SessionAPITests {
    struct Records {
        let userId: String
        let sessionId = "csession0000000000000001"
        let signInId = "csignin00000000000000001"
        let signUpId = "csignup00000000000000001"
    }

    static func insertRecords(_ api: APIHarness, _ tenant: TestTenant) async throws -> Records {
        let user = try await UserTestSupport.createUser(api, tenant, #""name":"Sid","email":"sid@example.com""#)
        let records = Records(userId: user["id"]?.stringValue ?? "")
        _ = try await api.pool.withTransaction { connection in
            _ = try connection.query("""
                INSERT INTO sign_in_attempts (id, tenant_id, user_id, ip_address, user_agent, identifier, status, strategy)
                VALUES ($1, $2, $3, '203.0.113.9', 'Mozilla/5.0', 'sid@example.com', 'complete', 'email_code')
                """, [records.signInId, tenant.id, records.userId])
            _ = try connection.query("INSERT INTO sign_up_attempts (id, tenant_id, user_id) VALUES ($1, $2, $3)",
                                     [records.signUpId, tenant.id, records.userId])
            _ = try connection.query("""
                INSERT INTO sessions (id, tenant_id, user_id, browser, os, ua, ip, sign_in_attempt_id, sign_up_attempt_id, expires_at)
                VALUES ($1, $2, $3, 'Firefox', 'Linux', 'Mozilla/5.0', '203.0.113.9', $4, $5, now() + interval '7 days')
                """, [records.sessionId, tenant.id, records.userId, records.signInId, records.signUpId])
        }
        return records
    }

    @Test func sessionsAndAttemptsThroughTheContract() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "sessions@example.com")
            let tenant = try await api.tenant(owner: owner)
            let records = try await Self.insertRecords(api, tenant)

            let all = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/auth/sessions", tenant.keys)
            let session = try #require(try all.json()["data"]?.arrayValue?.first)
            #expect(session["browser"] == "Firefox")
            #expect(session["user"]?["name"] == "Sid")
            #expect(session["signInAttempt"]?["strategy"] == "email_code")
            #expect(session["signUpAttempt"]?["id"]?.stringValue == records.signUpId)
            let mine = try await api.contractCall("GET", "/api/v0/auth/users/\(records.userId)/sessions", tenant.keys)
            #expect(try mine.json()["meta"]?["total"] == 1)
            let got = try await api.contractCall("GET", "/api/v0/auth/sessions/\(records.sessionId)", tenant.keys)
            #expect(try got.json()["ip"] == "203.0.113.9")

            let signIns = try await api.contractCall("GET", "/api/v0/auth/sign-ins?tenantId=\(tenant.id)", tenant.keys)
            #expect(try signIns.json()["data"]?.arrayValue?.first?["identifier"] == "sid@example.com")
            let signIn = try await api.contractCall("GET", "/api/v0/auth/sign-ins/\(records.signInId)", tenant.keys)
            #expect(try signIn.json()["user"]?["id"]?.stringValue == records.userId)
            #expect(try signIn.json()["oauthProvider"] == .null)
            let signUps = try await api.contractCall("GET", "/api/v0/auth/sign-ups?tenantId=\(tenant.id)", tenant.keys)
            #expect(try signUps.json()["data"]?.arrayValue?.count == 1)
            #expect(signUps.bodyString.hasPrefix(#"{"data":["#), "the sign-ups envelope has no status")
            let signUp = try await api.contractCall("GET", "/api/v0/auth/sign-ups/\(records.signUpId)", tenant.keys)
            #expect(try signUp.json()["userId"]?.stringValue == records.userId)

            #expect(try await api.call("GET", "/api/v0/auth/sign-ins", tenant.keys).status == 400, "tenantId is required")
            #expect(try await api.call("GET", "/api/v0/auth/sign-ups?tenantId=nope", tenant.keys).status == 400)

            for path in ["sessions/\(records.sessionId)", "sign-ins/\(records.signInId)", "sign-ups/\(records.signUpId)"] {
                let deleted = try await api.contractCall("DELETE", "/api/v0/auth/\(path)", tenant.keys)
                #expect(try deleted.json()["deleted"] == true, "\(path)")
                #expect(try await api.call("GET", "/api/v0/auth/\(path)", tenant.keys).status == 404)
                #expect(try await api.call("DELETE", "/api/v0/auth/\(path)", tenant.keys).status == 404)
            }
            let empty = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/auth/sessions", tenant.keys)
            #expect(try empty.json()["data"] == [])
        }
    }

    @Test func anotherTenantGets404AndChangesNothing() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "sessions-iso@example.com")
            let tenant = try await api.tenant(owner: owner)
            let intruder = try await api.tenant(owner: try await api.token(email: "sessions-intruder@example.com"), name: "Intruder")
            let records = try await Self.insertRecords(api, tenant)
            let calls: [(String, String)] = [
                ("GET", "/api/v0/tenants/\(tenant.id)/auth/sessions"),
                ("GET", "/api/v0/auth/users/\(records.userId)/sessions"),
                ("GET", "/api/v0/auth/sign-ins?tenantId=\(tenant.id)"),
                ("GET", "/api/v0/auth/sign-ups?tenantId=\(tenant.id)"),
                ("GET", "/api/v0/auth/sessions/\(records.sessionId)"),
                ("DELETE", "/api/v0/auth/sessions/\(records.sessionId)"),
                ("GET", "/api/v0/auth/sign-ins/\(records.signInId)"),
                ("DELETE", "/api/v0/auth/sign-ins/\(records.signInId)"),
                ("GET", "/api/v0/auth/sign-ups/\(records.signUpId)"),
                ("DELETE", "/api/v0/auth/sign-ups/\(records.signUpId)"),
            ]
            for (method, path) in calls {
                #expect(try await api.contractCall(method, path, intruder.keys).status == 404, "\(method) \(path)")
            }
            for table in ["sessions", "sign_in_attempts", "sign_up_attempts"] {
                #expect(try await UserTestSupport.count(api, "SELECT count(*) FROM \(table)") == 1, "\(table)")
            }
            let own = try await api.contractCall("GET", "/api/v0/tenants/\(intruder.id)/auth/sessions", intruder.keys)
            #expect(try own.json()["data"] == [])
        }
    }
}
