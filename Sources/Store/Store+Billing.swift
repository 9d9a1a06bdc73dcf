import Crypto
import Postgres

/// Billing kept locally: no payment provider, so a tenant's customer and
/// subscription are Herald's own rows, made on first use (every tenant starts
/// on the default plan), with monthly periods rolled forward as they pass.
/// Metered usage is counted on read (Projection.meteredUsage).
extension Store {
    /// Who is billed and on which plan when nothing was chosen yet.
    public struct BillingDefaults: Sendable {
        /// The caller, whose email bills the tenant when it has no creator any more.
        public var platformUserId: String
        public var plan: String
        public init(platformUserId: String, plan: String) {
            self.platformUserId = platformUserId
            self.plan = plan
        }
    }

    /// Runs `body` in a transaction after making sure the tenant has a
    /// customer and a subscription whose period contains now.
    private func withBilling<T: Sendable>(_ tenantId: String, _ defaults: BillingDefaults,
                                          _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let customerId = Identifier.make()
        let subscriptionId = Identifier.make()
        return try await database.withTransaction { connection in
            _ = try connection.query("""
                INSERT INTO tenant_customers (id, tenant_id, email)
                VALUES ($1, $2, coalesce((SELECT u.email FROM tenants n JOIN platform_users u ON u.id = n.creator_id
                                          WHERE n.id = $2),
                                 (SELECT u.email FROM platform_users u WHERE u.id = $3), ''))
                ON CONFLICT (tenant_id) DO NOTHING
                """, [customerId, tenantId, defaults.platformUserId])
            _ = try connection.query("""
                INSERT INTO tenant_subscriptions (id, tenant_id, customer_id, plan, status, current_period_start,
                                                  current_period_end)
                SELECT $1, $2, c.id, $3, 'active', herald_now(), herald_now() + interval '1 month'
                FROM tenant_customers c WHERE c.tenant_id = $2
                ON CONFLICT (tenant_id) DO NOTHING
                """, [subscriptionId, tenantId, defaults.plan])
            // Whole months since the period started: the period that contains now.
            _ = try connection.query("""
                UPDATE tenant_subscriptions s SET
                  current_period_start = s.current_period_start + m.months * interval '1 month',
                  current_period_end = s.current_period_start + (m.months + 1) * interval '1 month',
                  updated_at = herald_now()
                FROM (SELECT id, (extract(year FROM age(now(), current_period_start)) * 12
                                  + extract(month FROM age(now(), current_period_start)))::int AS months
                      FROM tenant_subscriptions WHERE tenant_id = $1) m
                WHERE s.id = m.id AND s.current_period_end <= now()
                """, [tenantId])
            return try body(connection)
        }
    }

    private static func subscription(_ connection: PostgresConnection, _ tenantId: String) throws -> String {
        try connection.query("SELECT (\(Projection.subscription))::text AS json FROM tenant_subscriptions t WHERE t.tenant_id = $1",
                             [tenantId])[0].decode("json", as: String.self)
    }

    public func subscriptionJSON(tenantId: String, defaults: BillingDefaults) async throws -> String {
        try await withBilling(tenantId, defaults) { try Self.subscription($0, tenantId) }
    }

    /// Changes the plan; `restartPeriod` (a new subscription) starts a fresh
    /// period now, a plan change keeps the current one.
    public func setPlan(tenantId: String, plan: String, restartPeriod: Bool, defaults: BillingDefaults) async throws -> String {
        try await withBilling(tenantId, defaults) { connection in
            _ = try connection.query("""
                UPDATE tenant_subscriptions SET plan = $2, status = 'active', updated_at = herald_now(),
                  current_period_start = CASE WHEN $3 THEN herald_now() ELSE current_period_start END,
                  current_period_end = CASE WHEN $3 THEN herald_now() + interval '1 month' ELSE current_period_end END
                WHERE tenant_id = $1
                """, [tenantId, plan, restartPeriod])
            return try Self.subscription(connection, tenantId)
        }
    }

    public func customerJSON(tenantId: String, defaults: BillingDefaults) async throws -> String {
        try await withBilling(tenantId, defaults) { connection in
            try connection.query("SELECT (\(Projection.customer))::text AS json FROM tenant_customers t WHERE t.tenant_id = $1",
                                 [tenantId])[0].decode("json", as: String.self)
        }
    }

    /// Records the payment method as the client names it; Herald charges nothing itself.
    public func setPaymentMethod(tenantId: String, id: String, last4: String?, brand: String?,
                                 defaults: BillingDefaults) async throws {
        try await withBilling(tenantId, defaults) { connection in
            _ = try connection.query("""
                UPDATE tenant_customers SET payment_method_id = $2, payment_method_last4 = $3, payment_method_brand = $4,
                  updated_at = herald_now()
                WHERE tenant_id = $1
                """, [tenantId, id, last4, brand])
        }
    }

    /// The plan and each meter's usage in the current period, for the invoice estimate.
    public func billingUsage(tenantId: String, defaults: BillingDefaults) async throws -> (plan: String, usage: [String: Int64]) {
        try await withBilling(tenantId, defaults) { connection in
            let meters = Projection.meteredUsage
            let row = try connection.query("""
                SELECT t.plan, \(meters.map { "(\($0.sql))::bigint AS \"\($0.key)\"" }.joined(separator: ", "))
                FROM tenant_subscriptions t WHERE t.tenant_id = $1
                """, [tenantId])[0]
            var usage: [String: Int64] = [:]
            for meter in meters { usage[meter.key] = try row.decode(meter.key, as: Int64.self) }
            return (try row.decode("plan", as: String.self), usage)
        }
    }
}
