import API
import Foundation
import HeraldTestSupport
import JSON
import Postgres
import Testing

extension APIClient {
    /// Moves every rate-limit window `seconds` into the past, as if that much
    /// time had gone by (tests never wait on the wall clock for a window).
    func ageRateLimits(by seconds: Int) async throws {
        _ = try await store.pool.withConnection { connection in
            try connection.query("""
                UPDATE rate_limits SET last_at = last_at - $1 * interval '1 second',
                  window_start = window_start - $1 * interval '1 second'
                """, [seconds])
        }
    }
}

/// Rate limits on what sends codes and invitations (issue #11): per address
/// and per tenant, 429 with `Retry-After`, and a refused send changes nothing.
@Suite struct RateLimitAPITests {
    static func retryAfter(_ response: TestHTTPClient.Response) -> Int? {
        response.headers.first("retry-after").flatMap { Int($0) }
    }

    static func notifications(_ api: APIHarness, to address: String) async throws -> Int {
        try await UserTestSupport.count(api, #"SELECT count(*)::int FROM notifications WHERE "to"->'to'->>0 = $1"#, [address])
    }

    @Test func aSecondCodeInsideTheIntervalIsRefusedAndTheFirstStillWorks() async throws {
        try await APIHarness.with { api in
            let tenant = try await api.tenant(owner: try await api.token(email: "rate-codes@example.com"))
            let user = try await UserTestSupport.createUser(api, tenant, #""name":"Rae","email":"rae@example.com","phone":"+447700900001""#)
            let emailId = try #require(user["emailAddresses"]?.arrayValue?.first?["id"]?.stringValue)
            let phoneId = try #require(user["phoneNumbers"]?.arrayValue?.first?["id"]?.stringValue)
            let other = try await UserTestSupport.createUser(api, tenant, #""name":"Oz","email":"oz@example.com""#)
            let otherEmailId = try #require(other["emailAddresses"]?.arrayValue?.first?["id"]?.stringValue)
            let served = try OpenAPIContract(document: try await api.call("GET", "/openapi.json").json())
            // Creating the addresses sent their first codes, which count too.
            try await api.ageRateLimits(by: 31)

            for (base, id, address) in [("email-addresses", emailId, "rae@example.com"), ("phone-numbers", phoneId, "+447700900001")] {
                let prepare = "/api/v0/auth/\(base)/prepare-verification"
                #expect(try await api.call("POST", prepare, tenant.keys, json: #"{"id":"\#(id)"}"#).status == 200)
                let code = try #require(try await UserTestSupport.queuedCode(api, to: address))
                let queued = try await Self.notifications(api, to: address)
                // One wrong try, so that a reset would show.
                let wrong = code == "000000" ? "111111" : "000000"
                let tried = try await api.call("POST", "/api/v0/auth/\(base)/verify", tenant.keys,
                                               json: #"{"id":"\#(id)","code":"\#(wrong)"}"#)
                #expect(tried.status == 400)

                let again = try await api.call("POST", prepare, tenant.keys, json: #"{"id":"\#(id)"}"#)
                #expect(again.status == 429, "\(again.bodyString)")
                // The error shape of the served spec (an operation of API.md §1, not of the contract file).
                #expect(served.validate(method: "POST", path: prepare, status: 429, body: again.body).isEmpty)
                #expect(try again.json()["code"] == "TOO_MANY_REQUESTS")
                let wait = try #require(Self.retryAfter(again), "Retry-After: \(again.headers)")
                #expect((1...30).contains(wait))
                #expect(try await Self.notifications(api, to: address) == queued, "nothing more is queued")
                #expect(try await UserTestSupport.count(api, """
                    SELECT attempts FROM verification_codes WHERE email_address_id = $1 OR phone_number_id = $1
                    """, [id]) == 1, "the tries are not reset")
                #expect(try await UserTestSupport.queuedCode(api, to: address) == code)

                let verified = try await api.call("POST", "/api/v0/auth/\(base)/verify", tenant.keys,
                                                  json: #"{"id":"\#(id)","code":"\#(code)"}"#)
                #expect(verified.status == 200, "the first code still works: \(verified.bodyString)")
            }

            // Another address is not held back by the first one's window.
            let otherPrepare = "/api/v0/auth/email-addresses/prepare-verification"
            #expect(try await api.call("POST", otherPrepare, tenant.keys, json: #"{"id":"\#(otherEmailId)"}"#).status == 200)
            #expect(try await api.call("POST", otherPrepare, tenant.keys, json: #"{"id":"\#(otherEmailId)"}"#).status == 429)
            // Once the interval is over, the next code goes out.
            try await api.ageRateLimits(by: 31)
            #expect(try await api.call("POST", otherPrepare, tenant.keys, json: #"{"id":"\#(otherEmailId)"}"#).status == 200)
        }
    }

    @Test func anAddressGetsOnlySoManyCodesAnHour() async throws {
        try await APIHarness.with(settings: ["HERALD_RATE_LIMIT_ADDRESS_INTERVAL_SECONDS": "0",
                                             "HERALD_RATE_LIMIT_ADDRESS_PER_HOUR": "3"]) { api in
            let tenant = try await api.tenant(owner: try await api.token(email: "rate-hour@example.com"))
            let user = try await UserTestSupport.createUser(api, tenant, #""name":"Hu","email":"hu@example.com""#)
            let id = try #require(user["emailAddresses"]?.arrayValue?.first?["id"]?.stringValue)
            let prepare = "/api/v0/auth/email-addresses/prepare-verification"
            try await api.ageRateLimits(by: 3601)  // a new hour after the creation's code
            for send in 1...3 {
                #expect(try await api.call("POST", prepare, tenant.keys, json: #"{"id":"\#(id)"}"#).status == 200, "send \(send)")
            }
            let fourth = try await api.call("POST", prepare, tenant.keys, json: #"{"id":"\#(id)"}"#)
            #expect(fourth.status == 429)
            let wait = try #require(Self.retryAfter(fourth))
            #expect(wait > 3000 && wait <= 3600, "the rest of the hour: \(wait)")
            try await api.ageRateLimits(by: 3601)
            #expect(try await api.call("POST", prepare, tenant.keys, json: #"{"id":"\#(id)"}"#).status == 200)
        }
    }

    @Test func aTenantGetsOnlySoManyAnHourAndOthersAreUnaffected() async throws {
        try await APIHarness.with(settings: ["HERALD_RATE_LIMIT_TENANT_PER_HOUR": "3"]) { api in
            let tenant = try await api.tenant(owner: try await api.token(email: "rate-tenant@example.com"))
            let neighbour = try await api.tenant(owner: try await api.token(email: "rate-neighbour@example.com"), name: "Neighbour")
            var ids: [String] = []
            for index in 0..<4 {
                let user = try await UserTestSupport.createUser(api, tenant, #""name":"U\#(index)","email":"u\#(index)@example.com""#)
                ids.append(try #require(user["emailAddresses"]?.arrayValue?.first?["id"]?.stringValue))
            }
            let prepare = "/api/v0/auth/email-addresses/prepare-verification"
            try await api.ageRateLimits(by: 3601)  // a new hour after the creations' codes
            for id in ids.prefix(3) {
                #expect(try await api.call("POST", prepare, tenant.keys, json: #"{"id":"\#(id)"}"#).status == 200)
            }
            let queued = try await Self.notifications(api, to: "u3@example.com")
            let refused = try await api.call("POST", prepare, tenant.keys, json: #"{"id":"\#(ids[3])"}"#)
            #expect(refused.status == 429)
            #expect(refused.bodyString.contains("tenant"), "\(refused.bodyString)")
            #expect(Self.retryAfter(refused) != nil)
            #expect(try await Self.notifications(api, to: "u3@example.com") == queued)
            // Invitations count against the same tenant window.
            let member = try await api.call("POST", "/api/v0/tenants/members/invite",
                                            try await api.token(email: "rate-tenant@example.com"),
                                            json: #"{"tenantId":"\#(tenant.id)","email":"invitee@example.com"}"#)
            #expect(member.status == 429)

            let user = try await UserTestSupport.createUser(api, neighbour, #""name":"N","email":"n@example.com""#)
            let neighbourId = try #require(user["emailAddresses"]?.arrayValue?.first?["id"]?.stringValue)
            try await api.ageRateLimits(by: 31)  // past the address interval its creation's code began
            #expect(try await api.call("POST", prepare, neighbour.keys, json: #"{"id":"\#(neighbourId)"}"#).status == 200,
                    "another tenant has its own window")
        }
    }

    @Test func invitationsAreLimitedPerAddress() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "rate-invite@example.com")
            let tenant = try await api.tenant(owner: owner)
            let organization = try await api.call("POST", "/api/v0/auth/organizations", tenant.keys,
                                                  json: #"{"tenantId":"\#(tenant.id)","name":"Rate Org"}"#)
            let organizationId = try #require(try organization.json()["id"]?.stringValue)
            let path = "/api/v0/auth/organization-invitations"
            let created = try await api.call("POST", path, tenant.keys,
                                             json: #"{"organizationId":"\#(organizationId)","email":"guest@example.com"}"#)
            #expect(created.status == 200, "\(created.bodyString)")
            let id = try #require(try created.json()["id"]?.stringValue)
            let link = try #require(try await api.orgQueuedInvitations(tenantId: tenant.id).last?.variables["acceptUrl"]?.stringValue)
            let token = String(try #require(link.split(separator: "=").last))

            let resent = try await api.call("POST", "\(path)/\(id)/resend", tenant.keys)
            #expect(resent.status == 429)
            #expect(try resent.json()["code"] == "TOO_MANY_REQUESTS")
            #expect(Self.retryAfter(resent) != nil)
            #expect(try await api.orgQueuedInvitations(tenantId: tenant.id).count == 1, "nothing more is queued")
            #expect(try await api.services.store.orgInvitationTokenMatches(id: id, token: token), "the sent link still works")
            let twice = try await api.call("POST", path, tenant.keys,
                                           json: #"{"organizationId":"\#(organizationId)","email":"GUEST@example.com"}"#)
            #expect(twice.status == 429, "the address is compared without case")
            let another = try await api.call("POST", path, tenant.keys,
                                             json: #"{"organizationId":"\#(organizationId)","email":"other@example.com"}"#)
            #expect(another.status == 200)
            try await api.ageRateLimits(by: 31)
            #expect(try await api.call("POST", "\(path)/\(id)/resend", tenant.keys).status == 200)

            // Tenant member invitations: invite, withdraw, invite again at once.
            let invite = #"{"tenantId":"\#(tenant.id)","email":"member@example.com"}"#
            let invited = try await api.call("POST", "/api/v0/tenants/members/invite", owner, json: invite)
            #expect(invited.status == 200, "\(invited.bodyString)")
            let invitationId = try #require(try invited.json()["id"]?.stringValue)
            #expect(try await api.call("DELETE", "/api/v0/tenants/invitations/\(invitationId)", owner).status == 200)
            let reinvited = try await api.call("POST", "/api/v0/tenants/members/invite", owner, json: invite)
            #expect(reinvited.status == 429, "\(reinvited.bodyString)")
            #expect(Self.retryAfter(reinvited) != nil)
        }
    }

    /// Creating an address sends its first code through the same windows: over
    /// a limit the address is saved but no code goes out, so creating and
    /// deleting a number again and again cannot pump SMS to it.
    @Test func creatingAddressesAgainAndAgainSendsNoMoreCodes() async throws {
        try await APIHarness.with { api in
            let tenant = try await api.tenant(owner: try await api.token(email: "rate-pump@example.com"))
            let user = try await UserTestSupport.createUser(api, tenant, #""name":"Pam""#)
            let userId = try #require(user["id"]?.stringValue)
            let number = "+447700900123"
            for round in 1...3 {
                let created = try await api.call("POST", "/api/v0/auth/phone-numbers", tenant.keys,
                                                 json: #"{"tenantId":"\#(tenant.id)","userId":"\#(userId)","phone":"\#(number)"}"#)
                #expect(created.status == 200, "round \(round): \(created.bodyString)")
                let id = try #require(try created.json()["id"]?.stringValue)
                #expect(try await api.call("DELETE", "/api/v0/auth/phone-numbers?id=\(id)", tenant.keys).status == 200)
            }
            #expect(try await Self.notifications(api, to: number) == 1, "only the first creation sent a code")
        }
    }
}
