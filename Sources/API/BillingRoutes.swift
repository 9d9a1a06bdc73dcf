import JSON
import Store

/// Subscription, customer, upcoming invoice and payment method, kept locally
/// (Store+Billing.swift, BillingPlans.swift). Platform routes: bearer tokens
/// of members with the billing flags.
enum BillingRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.on("GET", "/tenants/:id/subscription") { request, access in
            let (id, defaults) = try await billing(request, access, .viewBilling)
            return .json(text: try await store.subscriptionJSON(tenantId: id, defaults: defaults))
        }

        // Subscribing starts a new period on the plan; changing the plan keeps the period.
        for (method, restart) in [("POST", true), ("PATCH", false)] {
            routes.on(method, "/tenants/:id/subscription") { request, access in
                let (id, defaults) = try await billing(request, access, .editBilling)
                var input = Validator(try request.jsonObject())
                let nickname = input.string("planNickname", min: 1, max: 64)
                if !nickname.isEmpty, BillingPlan.named(nickname) == nil {
                    input.fail("planNickname: must be one of \(BillingPlan.all.map(\.nickname).joined(separator: ", "))")
                }
                // No coupons are offered; an empty one is no coupon.
                if let coupon = input.optionalString("coupon", max: 255), !coupon.isEmpty {
                    input.fail("coupon: unknown coupon")
                }
                try input.check()
                guard let plan = BillingPlan.named(nickname)?.nickname else { throw APIError.validation(["planNickname: Required"]) }
                return .json(text: try await store.setPlan(tenantId: id, plan: plan, restartPeriod: restart, defaults: defaults))
            }
        }

        routes.on("GET", "/tenants/:id/customer") { request, access in
            let (id, defaults) = try await billing(request, access, .viewBilling)
            return .json(text: try await store.customerJSON(tenantId: id, defaults: defaults))
        }

        routes.on("GET", "/tenants/:id/upcoming-invoice") { request, access in
            let (id, defaults) = try await billing(request, access, .viewBilling)
            let current = try await store.billingUsage(tenantId: id, defaults: defaults)
            let plan = BillingPlan.named(current.plan) ?? .default
            return .json(["estimate": .double(plan.estimate(usage: current.usage))])
        }

        // Herald charges nothing itself: the method is recorded as the client's
        // payment page named it (`last4` and `brand` are optional extensions).
        routes.on("PATCH", "/tenants/:id/payment-method") { request, access in
            let (id, defaults) = try await billing(request, access, .editBilling)
            var input = Validator(try request.jsonObject())
            let methodId = input.string("paymentMethodId", min: 1, max: 255)
            let last4 = input.optionalString("last4", min: 4, max: 4, pattern: { $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) },
                                             patternMessage: "must be 4 digits")
            let brand = input.optionalString("brand", min: 1, max: 32)
            try input.check()
            try await store.setPaymentMethod(tenantId: id, id: methodId, last4: last4, brand: brand, defaults: defaults)
            return .success
        }
    }

    /// The tenant id after checking the caller's billing flags, and who is billed by default.
    private static func billing(_ request: APIRequest, _ access: Access,
                                _ roles: MemberRoles) async throws -> (String, Store.BillingDefaults) {
        let id = try request.id()
        try await access.platformTenant(id, roles)
        return (id, Store.BillingDefaults(platformUserId: try access.platformUser(), plan: BillingPlan.default.nickname))
    }
}
