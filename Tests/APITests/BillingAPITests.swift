import API
import Foundation
import HeraldTestSupport
import JSON
import Testing

/// Billing kept locally: plans from code, usage counted from Herald's tables.
@Suite struct BillingAPITests {
    @Test func subscriptionCustomerInvoiceAndPaymentMethod() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let tenant = try await api.tenant(owner: owner)
            // Every tenant starts on the free plan.
            let first = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/subscription", owner)
            #expect(first.status == 200, "\(first.bodyString)")
            let subscription = try first.json()
            #expect(subscription["plan"] == "free")
            #expect(subscription["status"] == "active")
            #expect(subscription["meteredUsageAuthUsers"]?.intValue == 0)
            let customer = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/customer", owner)
            #expect(try customer.json()["email"] == "owner@example.com")
            #expect(try customer.json()["id"]?.stringValue == subscription["customerId"]?.stringValue)
            #expect(try customer.json()["paymentMethodId"] == .null)
            let freeInvoice = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/upcoming-invoice", owner)
            #expect(try freeInvoice.json()["estimate"]?.doubleValue == 0)

            let pro = try await api.contractCall("POST", "/api/v0/tenants/\(tenant.id)/subscription", owner,
                                                 json: #"{"planNickname":"pro"}"#)
            #expect(try pro.json()["plan"] == "pro")
            #expect(try pro.json()["meteredUsageNotifications"]?.intValue == 0)
            // Usage comes from the tenant's own rows: users, organizations, notifications this period
            // (subscribing started a new one).
            try await api.pool.withConnection { connection in
                for n in 0..<3 {
                    _ = try connection.query("INSERT INTO users (id, tenant_id) VALUES ($1, $2)",
                                             ["cbillusr\(tenant.id.suffix(6))0000000\(n)", tenant.id])
                }
                _ = try connection.query("INSERT INTO organizations (id, tenant_id, slug, name) VALUES ($1, $2, 'org', 'Org')",
                                         ["cbillorg\(tenant.id.suffix(6))00000000", tenant.id])
                _ = try connection.query("INSERT INTO files (id, tenant_id, path, size) VALUES ($1, $2, 'a', $3)",
                                         ["cbillfil\(tenant.id.suffix(6))00000000", tenant.id, 11 * (1 << 30)])
                for test in [false, false, true] {
                    _ = try connection.query("INSERT INTO notifications (id, tenant_id, type, test) VALUES ($1, $2, 'email', $3)",
                                             ["c\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24).lowercased())",
                                              tenant.id, test])
                }
            }
            let current = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/subscription", owner)
            #expect(try current.json()["meteredUsageAuthUsers"]?.intValue == 3)
            #expect(try current.json()["meteredUsageAuthOrganizations"]?.intValue == 1)
            #expect(try current.json()["meteredUsageNotifications"]?.intValue == 2) // tests are not billed
            #expect(try current.json()["meteredUsageMediaStorage"]?.intValue == 11 * (1 << 30))
            // Pro: $25 plus one started GiB beyond the 10 included at $0.10.
            let invoice = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/upcoming-invoice", owner)
            #expect(try invoice.json()["estimate"]?.doubleValue == 25.1)

            let changed = try await api.contractCall("PATCH", "/api/v0/tenants/\(tenant.id)/subscription", owner,
                                                     json: #"{"planNickname":"Enterprise"}"#)
            #expect(try changed.json()["plan"] == "enterprise")
            #expect(try changed.json()["currentPeriodStart"] == pro.json()["currentPeriodStart"]) // same period
            #expect(try await api.call("GET", "/api/v0/tenants/\(tenant.id)/upcoming-invoice", owner)
                .json()["estimate"]?.doubleValue == 499)

            let method = try await api.contractCall("PATCH", "/api/v0/tenants/\(tenant.id)/payment-method", owner,
                                                    json: #"{"paymentMethodId":"pm_123","last4":"4242","brand":"visa"}"#)
            #expect(try method.json() == ["status": "success"])
            let withMethod = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/customer", owner)
            #expect(try withMethod.json()["paymentMethodId"] == "pm_123")
            #expect(try withMethod.json()["paymentMethodLast4"] == "4242")
            #expect(try withMethod.json()["paymentMethodBrand"] == "visa")
        }
    }

    @Test func periodsRollForward() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let tenant = try await api.tenant(owner: owner)
            _ = try await api.call("GET", "/api/v0/tenants/\(tenant.id)/subscription", owner)
            // A subscription started three and a half months ago is in its fourth period.
            try await api.pool.withConnection { connection in
                _ = try connection.query("""
                    UPDATE tenant_subscriptions SET current_period_start = now() - interval '3 months 15 days',
                      current_period_end = now() - interval '2 months 15 days' WHERE tenant_id = $1
                    """, [tenant.id])
            }
            let rolled = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/subscription", owner)
            let (start, end) = try await api.pool.withConnection { connection in
                let row = try connection.query("""
                    SELECT current_period_start <= now() AND current_period_end > now(),
                           current_period_end - current_period_start BETWEEN interval '28 days' AND interval '31 days'
                    FROM tenant_subscriptions WHERE tenant_id = $1
                    """, [tenant.id])[0]
                return (try row.decode(0, as: Bool.self), try row.decode(1, as: Bool.self))
            }
            #expect(start && end)
            #expect(try rolled.json()["plan"] == "free")
        }
    }

    @Test func validationRolesAndIsolation() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let viewer = try await api.token(email: "viewer@example.com")
            let stranger = try await api.token(email: "stranger@example.com")
            let tenant = try await api.tenant(owner: owner)
            let bad = try await api.call("POST", "/api/v0/tenants/\(tenant.id)/subscription", owner,
                                         json: #"{"planNickname":"gold","coupon":"HALF"}"#)
            #expect(bad.status == 400)
            let issues = try bad.json()["issues"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            #expect(issues.contains("planNickname: must be one of free, pro, enterprise"))
            #expect(issues.contains("coupon: unknown coupon"))
            #expect(try await api.call("PATCH", "/api/v0/tenants/\(tenant.id)/payment-method", owner,
                                       json: #"{"paymentMethodId":"pm_1","last4":"42a2"}"#).status == 400)
            // A member who may view billing but not edit it.
            let invited = try await api.call("POST", "/api/v0/tenants/members/invite", owner,
                                             json: #"{"tenantId":"\#(tenant.id)","email":"viewer@example.com","roleViewBilling":true}"#)
            let invitationId = try #require(try invited.json()["id"]?.stringValue)
            #expect(try await api.call("POST", "/api/v0/user/invitations/\(invitationId)/accept", viewer).status == 200)
            #expect(try await api.call("GET", "/api/v0/tenants/\(tenant.id)/subscription", viewer).status == 200)
            #expect(try await api.call("PATCH", "/api/v0/tenants/\(tenant.id)/subscription", viewer,
                                       json: #"{"planNickname":"pro"}"#).status == 403)
            for (method, path, body) in [("GET", "subscription", nil), ("POST", "subscription", #"{"planNickname":"pro"}"#),
                                         ("PATCH", "subscription", #"{"planNickname":"pro"}"#), ("GET", "customer", nil),
                                         ("GET", "upcoming-invoice", nil),
                                         ("PATCH", "payment-method", #"{"paymentMethodId":"pm_x"}"#)] as [(String, String, String?)] {
                #expect(try await api.call(method, "/api/v0/tenants/\(tenant.id)/\(path)", stranger, json: body).status == 404)
                #expect(try await api.call(method, "/api/v0/tenants/\(tenant.id)/\(path)", tenant.keys, json: body).status == 401)
            }
            let plan = try await api.pool.withConnection { connection in
                try connection.query("SELECT plan FROM tenant_subscriptions WHERE tenant_id = $1", [tenant.id])
                    .first?.decode(0, as: String.self)
            }
            #expect(plan == "free")
        }
    }
}
