import Crypto
import Postgres

/// The tenant's suppression list (migration 0009): addresses Herald no
/// longer sends to. A hard bounce or a complaint adds one; operators list,
/// add and remove them through the API.
extension Store {
    public enum SuppressionReason: String, Sendable, Hashable, CaseIterable {
        case hardBounce = "hard_bounce"
        case complaint
        case manual
    }

    /// The form an address is compared in: e-mail addresses lower-cased
    /// (their domain is case-insensitive, and no provider treats the local
    /// part otherwise), phone numbers and the rest trimmed only.
    public static func suppressionKey(_ address: String) -> String {
        let trimmed = address.trimmingCharacters(in: .whitespaces)
        return trimmed.contains("@") ? trimmed.lowercased() : trimmed
    }

    /// Puts `address` on the tenant's list. An address already there keeps
    /// its first reason. Answers whether it was added.
    @discardableResult
    public func suppress(tenantId: String, address: String, reason: SuppressionReason, detail: String?,
                         notificationId: String?) async throws -> Bool {
        let key = Self.suppressionKey(address)
        return try await database.withConnection { connection in
            try Self.suppress(connection, tenantId: tenantId, address: key, reason: reason, detail: detail,
                              notificationId: notificationId)
        }
    }

    /// `suppress` inside a caller's transaction (an event and the suppression
    /// it causes are recorded together).
    static func suppress(_ connection: PostgresConnection, tenantId: String, address: String,
                         reason: SuppressionReason, detail: String?, notificationId: String?) throws -> Bool {
        try !connection.query("""
            INSERT INTO notification_suppressions (id, tenant_id, address, reason, detail, notification_id)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (tenant_id, address) DO NOTHING
            RETURNING id
            """, [Identifier.make(), tenantId, Self.suppressionKey(address), reason.rawValue, detail,
                  notificationId]).isEmpty
    }
}
