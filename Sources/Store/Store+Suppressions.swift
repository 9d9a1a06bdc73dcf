import Crypto
import Postgres

/// The tenant's suppression list (migrations 0009, 0012): addresses Herald
/// no longer sends to. A hard bounce or a complaint adds one; operators list,
/// add and remove them through the API; the worker's claim reads the ones
/// that match each row it takes (`Store.claim`, `herald_recipient_keys`).
extension Store {
    public enum SuppressionReason: String, Sendable, Hashable, CaseIterable {
        case hardBounce = "hard_bounce"
        case complaint
        case manual
    }

    /// The form an address is compared in: e-mail addresses lower-cased
    /// (their domain is case-insensitive, and no provider treats the local
    /// part otherwise), phone numbers and the rest trimmed only. ASCII only,
    /// and spaces and tabs only, exactly as `herald_recipient_keys` (0012)
    /// does it in SQL, so the claim matches what was stored.
    public static func suppressionKey(_ address: String) -> String {
        let blank: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" }
        var scalars = Substring(address).unicodeScalars
        while let first = scalars.first, blank(first) { scalars.removeFirst() }
        while let last = scalars.last, blank(last) { scalars.removeLast() }
        let trimmed = String(scalars)
        guard trimmed.contains("@") else { return trimmed }
        return String(String.UnicodeScalarView(trimmed.unicodeScalars.map { scalar in
            ("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32)! : scalar
        }))
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

    // MARK: - The API's side

    /// An operator's addition: the new suppression, or the one already
    /// listed for that address (its first reason and detail kept).
    public struct AddedSuppression: Sendable {
        public let json: String
        public let created: Bool
    }

    /// One removed suppression, for the log line that records who removed it.
    public struct RemovedSuppression: Sendable, Hashable {
        public let address: String
        public let reason: String
    }

    /// The tenant's suppressions, newest first; only `address` (compared as
    /// its `suppressionKey`) when given.
    public func suppressionsPage(tenantId: String, address: String?, _ request: PageRequest) async throws -> Page {
        let query = address.map {
            PageQuery(from: "notification_suppressions t", projection: Projection.suppression,
                      filter: "t.tenant_id = $1 AND t.address = $2", binds: [tenantId, Self.suppressionKey($0)])
        } ?? PageQuery(from: "notification_suppressions t", projection: Projection.suppression,
                       filter: "t.tenant_id = $1", binds: [tenantId])
        return try await database.withConnection { connection in try connection.page(query, request) }
    }

    public func suppressionTenant(_ id: String) async throws -> String? {
        try await tenantOf("notification_suppressions", id)
    }

    public func suppressionJSON(id: String, tenantId: String) async throws -> String? {
        try await jsonOf("notification_suppressions", Projection.suppression, id, tenantId)
    }

    /// Adds `address` as a `manual` suppression; an address already listed
    /// answers the row that is there, unchanged.
    public func addSuppression(tenantId: String, address: String, detail: String?) async throws -> AddedSuppression {
        let key = Self.suppressionKey(address)
        return try await database.withConnection { connection in
            // One statement: the insert, or (on conflict) the row that is there. A
            // concurrent add that committed after this statement's snapshot is
            // seen by the conflict but not by the read: the second try sees it.
            for _ in 0..<2 {
                guard let row = try connection.query(Self.addSuppressionStatement,
                                                     [Identifier.make(), tenantId, key, detail]).first else { continue }
                return AddedSuppression(json: try row.decode("json"), created: try row.decode("created"))
            }
            throw StoreError(.conflict, "the address was removed while it was being added")
        }
    }

    static let addSuppressionStatement = """
        WITH added AS (
          INSERT INTO notification_suppressions AS t (id, tenant_id, address, reason, detail)
          VALUES ($1, $2, $3, 'manual', $4)
          ON CONFLICT (tenant_id, address) DO NOTHING
          RETURNING (\(Projection.suppression))::text AS json
        )
        SELECT json, true AS created FROM added
        UNION ALL
        SELECT (\(Projection.suppression))::text, false FROM notification_suppressions t
        WHERE t.tenant_id = $2 AND t.address = $3 AND NOT EXISTS (SELECT 1 FROM added)
        """

    /// Removes one suppression; nil when it was not there.
    public func deleteSuppression(id: String, tenantId: String) async throws -> RemovedSuppression? {
        try await database.withConnection { connection in
            guard let row = try connection.query("""
                DELETE FROM notification_suppressions WHERE id = $1 AND tenant_id = $2 RETURNING address, reason
                """, [id, tenantId]).first else { return nil }
            return RemovedSuppression(address: try row.decode("address"), reason: try row.decode("reason"))
        }
    }
}

extension Projection {
    /// A suppression as the API answers it.
    static let suppression = """
        json_build_object('id', t.id, 'tenantId', t.tenant_id, 'address', t.address, 'reason', t.reason,
          'detail', t.detail, 'notificationId', t.notification_id, 'createdAt', herald_ts(t.created_at))
        """
}
