import Foundation
import HeraldTestSupport
import JSON
import Postgres
import Store
import Testing

/// Email addresses and phone numbers, and their verification codes end to end
/// at the database level (the code is read from the queued notification).
@Suite struct ContactAPITests {
    @Test func emailAddressesThroughTheContract() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "emails@example.com")
            let tenant = try await api.tenant(owner: owner)
            let userId = try #require(try await UserTestSupport.createUser(api, tenant)["id"]?.stringValue)
            let create = { (email: String) in
                try await api.contractCall("POST", "/api/v0/auth/email-addresses", tenant.keys,
                                           json: #"{"tenantId":"\#(tenant.id)","userId":"\#(userId)","email":"\#(email)"}"#)
            }
            let first = try await create("one@example.com")
            let firstId = try #require(try first.json()["id"]?.stringValue)
            #expect(try first.json()["verifiedAt"] == .null)
            #expect(try await UserTestSupport.queuedCode(api, to: "one@example.com") != nil)
            let user = { try await api.contractCall("GET", "/api/v0/auth/users/\(userId)", tenant.keys).json()["data"] }
            #expect(try await user()?["primaryEmailId"]?.stringValue == firstId, "the first address becomes primary")
            let secondId = try #require(try await create("two@example.com").json()["id"]?.stringValue)
            #expect(try await create("TWO@example.com").status == 409)
            let invalid = try await api.contractCall("POST", "/api/v0/auth/email-addresses", tenant.keys,
                                                     json: #"{"tenantId":"\#(tenant.id)","userId":"\#(userId)","email":"two at example"}"#)
            #expect(invalid.status == 400 && invalid.bodyString.contains("email"))
            let nobody = try await api.contractCall("POST", "/api/v0/auth/email-addresses", tenant.keys,
                                                    json: #"{"tenantId":"\#(tenant.id)","userId":"cnosuchuser0000000000000","email":"x@example.com"}"#)
            #expect(nobody.status == 404)

            let all = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/auth/email-addresses", tenant.keys)
            #expect(try all.json()["data"]?.arrayValue?.count == 2)
            #expect(try all.json()["meta"]?["total"] == 2)
            let mine = try await api.contractCall("GET", "/api/v0/auth/users/\(userId)/email-addresses?perPage=1", tenant.keys)
            #expect(try mine.json()["data"]?.arrayValue?.count == 1)
            #expect(try mine.json()["meta"]?["numPages"] == 2)
            let got = try await api.contractCall("GET", "/api/v0/auth/email-addresses/\(secondId)", tenant.keys)
            #expect(try got.json()["email"] == "two@example.com")

            // Verified, then changed: unverified again, with a fresh code.
            _ = try await api.contractCall("POST", "/api/v0/auth/email-addresses/verify", tenant.keys, json: #"{"id":"\#(secondId)"}"#)
            let changed = try await api.contractCall("PUT", "/api/v0/auth/email-addresses", tenant.keys,
                                                     json: #"{"id":"\#(secondId)","email":"deux@example.com"}"#)
            #expect(try changed.json()["email"] == "deux@example.com")
            #expect(try changed.json()["verifiedAt"] == .null)
            #expect(try await UserTestSupport.queuedCode(api, to: "deux@example.com") != nil)

            let primary = try await api.contractCall("POST", "/api/v0/auth/email-addresses/make-primary", tenant.keys,
                                                     json: #"{"id":"\#(secondId)"}"#)
            #expect(try primary.json()["id"]?.stringValue == secondId)
            #expect(try await user()?["primaryEmailId"]?.stringValue == secondId)

            let refused = try await api.contractCall("DELETE", "/api/v0/auth/email-addresses?id=\(secondId)", tenant.keys)
            #expect(refused.status == 400, "the primary goes last")
            #expect(try await api.call("DELETE", "/api/v0/auth/email-addresses", tenant.keys).status == 400, "id is required")
            let deleted = try await api.contractCall("DELETE", "/api/v0/auth/email-addresses?id=\(firstId)", tenant.keys)
            #expect(try deleted.json()["deleted"] == true)
            let last = try await api.contractCall("DELETE", "/api/v0/auth/email-addresses?id=\(secondId)", tenant.keys)
            #expect(try last.json()["deleted"] == true)
            #expect(try await user()?["primaryEmailId"] == .null)
            #expect(try await user()?["emailAddresses"] == [])
            #expect(try await api.call("GET", "/api/v0/auth/email-addresses/\(secondId)", tenant.keys).status == 404)
        }
    }

    @Test func phoneNumbersThroughTheContract() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "phones@example.com")
            let tenant = try await api.tenant(owner: owner)
            let userId = try #require(try await UserTestSupport.createUser(api, tenant)["id"]?.stringValue)
            let create = { (phone: String) in
                try await api.contractCall("POST", "/api/v0/auth/phone-numbers", tenant.keys,
                                           json: #"{"tenantId":"\#(tenant.id)","userId":"\#(userId)","phone":"\#(phone)"}"#)
            }
            for bad in ["004915112345678", "+49 151 1234", "+0123456789", "12345", "+12"] {
                let response = try await create(bad)
                #expect(response.status == 400 && response.bodyString.contains("E.164"), "\(bad)")
            }
            let first = try await create("+4915112345678")
            let firstId = try #require(try first.json()["id"]?.stringValue)
            #expect(try await create("+4915112345678").status == 409)
            let secondId = try #require(try await create("+14155550123").json()["id"]?.stringValue)
            let sms = try await api.pool.withConnection { connection in
                try connection.query("""
                    SELECT type, template_name IS NOT NULL OR template_id IS NOT NULL FROM notifications WHERE "to"->'to'->>0 = $1
                    """, ["+14155550123"])[0]
            }
            #expect(try sms.decode(0, as: String.self) == "sms")
            #expect(try sms.decode(1, as: Bool.self))

            let list = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/auth/phone-numbers", tenant.keys)
            #expect(try list.json()["data"]?.arrayValue?.first?["id"]?.stringValue == secondId, "newest first")
            let mine = try await api.contractCall("GET", "/api/v0/auth/users/\(userId)/phone-numbers", tenant.keys)
            #expect(try mine.json()["data"]?.arrayValue?.count == 2)
            let got = try await api.contractCall("GET", "/api/v0/auth/phone-numbers/\(firstId)", tenant.keys)
            #expect(try got.json()["phone"] == "+4915112345678")
            _ = try await api.contractCall("POST", "/api/v0/auth/phone-numbers/make-primary", tenant.keys, json: #"{"id":"\#(secondId)"}"#)
            #expect(try await api.contractCall("DELETE", "/api/v0/auth/phone-numbers?id=\(secondId)", tenant.keys).status == 400)
            #expect(try await api.contractCall("DELETE", "/api/v0/auth/phone-numbers?id=\(firstId)", tenant.keys).status == 200)
            let verified = try await api.contractCall("POST", "/api/v0/auth/phone-numbers/verify", tenant.keys,
                                                      json: #"{"id":"\#(secondId)"}"#)
            #expect(try verified.json()["verifiedAt"]?.stringValue != nil)
            #expect(try await api.contractCall("DELETE", "/api/v0/auth/phone-numbers?id=\(secondId)", tenant.keys).status == 200)
            let user = try await api.contractCall("GET", "/api/v0/auth/users/\(userId)", tenant.keys).json()["data"]
            #expect(user?["primaryPhoneId"] == .null)
        }
    }

    /// Code sent, wrong code 400, sixth try 429, a new code, right code sets verifiedAt, expired refused.
    @Test func verificationCodesEndToEnd() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "verify@example.com")
            let tenant = try await api.tenant(owner: owner)
            let user = try await UserTestSupport.createUser(api, tenant, #""name":"Vera","email":"vera@example.com""#)
            let emailId = try #require(user["emailAddresses"]?.arrayValue?.first?["id"]?.stringValue)
            let code = try #require(try await UserTestSupport.queuedCode(api, to: "vera@example.com"))
            #expect(code.count == 6 && code.allSatisfy(\.isNumber))
            // Stored as a keyed digest only; the notification API hides the code.
            let hashes = try await api.pool.withConnection { connection in
                try connection.query("SELECT code_hash FROM verification_codes WHERE email_address_id = $1", [emailId])
                    .map { try $0.decode(0, as: String.self) }
            }
            #expect(hashes.count == 1 && hashes[0] != code && !hashes[0].contains(code))
            let verify = { (body: String) in
                try await api.contractCall("POST", "/api/v0/auth/email-addresses/verify", tenant.keys, json: body)
            }
            let wrong = code == "000000" ? "111111" : "000000"
            for attempt in 1...5 {
                let response = try await verify(#"{"id":"\#(emailId)","code":"\#(wrong)"}"#)
                #expect(response.status == 400, "try \(attempt)")
                #expect(response.bodyString.contains("\(5 - attempt) tr"), "\(response.bodyString)")
            }
            let sixth = try await verify(#"{"id":"\#(emailId)","code":"\#(code)"}"#)
            #expect(sixth.status == 429)
            #expect(try sixth.json()["code"] == "TOO_MANY_REQUESTS")

            try await api.ageRateLimits(by: 31)  // the creation's code counts against the address's interval
            let prepared = try await api.call("POST", "/api/v0/auth/email-addresses/prepare-verification", tenant.keys,
                                              json: #"{"id":"\#(emailId)"}"#, headers: [("Accept-Language", "de")])
            #expect(prepared.status == 200)
            let fresh = try #require(try await UserTestSupport.queuedCode(api, to: "vera@example.com"))
            #expect(try await UserTestSupport.count(api, "SELECT count(*) FROM notifications WHERE locale = 'de'") == 1)
            #expect(try await UserTestSupport.count(api, "SELECT count(*) FROM verification_codes") == 1, "older codes are invalidated")
            if fresh != code {
                #expect(try await verify(#"{"id":"\#(emailId)","code":"\#(code)"}"#).status == 400, "the old code no longer works")
            }
            let right = try await verify(#"{"id":"\#(emailId)","code":"\#(fresh)"}"#)
            #expect(right.status == 200)
            #expect(try right.json()["verifiedAt"]?.stringValue != nil)
            #expect(try await UserTestSupport.count(
                api, "SELECT count(*) FROM verification_codes WHERE consumed_at IS NOT NULL AND attempts >= 1") == 1)
            #expect(try await api.call("POST", "/api/v0/auth/email-addresses/prepare-verification", tenant.keys,
                                       json: #"{"id":"\#(emailId)"}"#).status == 400, "already verified")

            // An expired code is refused with a message that says so.
            let other = try await api.contractCall("POST", "/api/v0/auth/email-addresses", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","userId":"\(user["id"]?.stringValue ?? "")","email":"late@example.com"}
                """)
            let lateId = try #require(try other.json()["id"]?.stringValue)
            let lateCode = try #require(try await UserTestSupport.queuedCode(api, to: "late@example.com"))
            _ = try await api.pool.withConnection { connection in
                try connection.query("UPDATE verification_codes SET expires_at = now() - interval '1 second' WHERE email_address_id = $1",
                                     [lateId])
            }
            let expired = try await verify(#"{"id":"\#(lateId)","code":"\#(lateCode)"}"#)
            #expect(expired.status == 400 && expired.bodyString.contains("expired"))
            let still = try await api.contractCall("GET", "/api/v0/auth/email-addresses/\(lateId)", tenant.keys)
            #expect(try still.json()["verifiedAt"] == .null)
        }
    }

    @Test func phoneVerificationWithACode() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "verify-sms@example.com")
            let tenant = try await api.tenant(owner: owner)
            let user = try await UserTestSupport.createUser(api, tenant, #""name":"Sam","email":"sam@example.com","phone":"+447700900123""#)
            let phoneId = try #require(user["phoneNumbers"]?.arrayValue?.first?["id"]?.stringValue)
            let variables = try await api.pool.withConnection { connection in
                try connection.query(#"SELECT variables::text FROM notifications WHERE type = 'sms'"#)[0].decode(0, as: String.self)
            }
            #expect(try JSONParser.parse(variables)["user"]?["email"] == "sam@example.com", "the phone's message names the user's email")
            let code = try #require(try await UserTestSupport.queuedCode(api, to: "+447700900123"))
            let verified = try await api.contractCall("POST", "/api/v0/auth/phone-numbers/verify", tenant.keys,
                                                      json: #"{"id":"\#(phoneId)","code":"\#(code)"}"#)
            #expect(verified.status == 200)
            #expect(try verified.json()["verifiedAt"]?.stringValue != nil)
            let none = try await api.call("POST", "/api/v0/auth/phone-numbers/prepare-verification", tenant.keys,
                                          json: #"{"id":"cnosuchphone000000000000"}"#)
            #expect(none.status == 404)
        }
    }

    @Test func anotherTenantGets404AndChangesNothing() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "contacts-iso@example.com")
            let tenant = try await api.tenant(owner: owner)
            let intruder = try await api.tenant(owner: try await api.token(email: "contacts-intruder@example.com"), name: "Intruder")
            let user = try await UserTestSupport.createUser(api, tenant, #""email":"kept@example.com","phone":"+33612345678""#)
            let userId = try #require(user["id"]?.stringValue)
            let emailId = try #require(user["emailAddresses"]?.arrayValue?.first?["id"]?.stringValue)
            let phoneId = try #require(user["phoneNumbers"]?.arrayValue?.first?["id"]?.stringValue)
            let notificationsBefore = try await UserTestSupport.count(api, "SELECT count(*) FROM notifications")
            var calls: [(String, String, String?)] = [
                ("PUT", "/api/v0/auth/email-addresses", #"{"id":"\#(emailId)","email":"stolen@example.com"}"#),
                ("POST", "/api/v0/auth/email-addresses", #"{"tenantId":"\#(tenant.id)","userId":"\#(userId)","email":"x@example.com"}"#),
                ("POST", "/api/v0/auth/email-addresses", #"{"tenantId":"\#(intruder.id)","userId":"\#(userId)","email":"x@example.com"}"#),
                ("POST", "/api/v0/auth/phone-numbers", #"{"tenantId":"\#(intruder.id)","userId":"\#(userId)","phone":"+33699999999"}"#),
            ]
            for (base, id) in [("email-addresses", emailId), ("phone-numbers", phoneId)] {
                calls += [
                    ("GET", "/api/v0/tenants/\(tenant.id)/auth/\(base)", nil),
                    ("GET", "/api/v0/auth/users/\(userId)/\(base)", nil),
                    ("GET", "/api/v0/auth/\(base)/\(id)", nil),
                    ("POST", "/api/v0/auth/\(base)/make-primary", #"{"id":"\#(id)"}"#),
                    ("POST", "/api/v0/auth/\(base)/verify", #"{"id":"\#(id)"}"#),
                    ("DELETE", "/api/v0/auth/\(base)?id=\(id)", nil),
                ]
            }
            for (method, path, body) in calls {
                #expect(try await api.contractCall(method, path, intruder.keys, json: body).status == 404, "\(method) \(path)")
            }
            for base in ["email-addresses", "phone-numbers"] {
                let id = base == "email-addresses" ? emailId : phoneId
                let response = try await api.call("POST", "/api/v0/auth/\(base)/prepare-verification", intruder.keys,
                                                  json: #"{"id":"\#(id)"}"#)
                #expect(response.status == 404)
            }
            let after = try await api.contractCall("GET", "/api/v0/auth/users/\(userId)", tenant.keys).json()["data"]
            #expect(after?["emailAddresses"]?.arrayValue?.first?["email"] == "kept@example.com")
            #expect(after?["emailAddresses"]?.arrayValue?.first?["verifiedAt"] == .null)
            #expect(after?["phoneNumbers"]?.arrayValue?.first?["verifiedAt"] == .null)
            #expect(after?["emailAddresses"]?.arrayValue?.count == 1 && after?["phoneNumbers"]?.arrayValue?.count == 1)
            #expect(try await UserTestSupport.count(api, "SELECT count(*) FROM notifications") == notificationsBefore)
        }
    }
}
