import Crypto
import Postgres

/// A tenant's custom domains: each proves ownership with a TXT record Herald
/// names (`_herald-challenge.<domain>` = `herald-verify=<random>`); at most
/// one per tenant is primary (a partial unique index guards it).
extension Store {
    public static let challengePrefix = "_herald-challenge."
    public static let challengeValuePrefix = "herald-verify="

    public func domainTenant(_ id: String) async throws -> String? {
        try await tenantOf("domains", id)
    }

    public func domainsJSON(tenantId: String) async throws -> [String] {
        try await database.withConnection { connection in
            try connection.query("""
                SELECT (\(Projection.domain))::text AS json FROM domains t WHERE t.tenant_id = $1 ORDER BY t.created_at DESC, t.seq DESC
                """, [tenantId]).map { try $0.decode("json", as: String.self) }
        }
    }

    public func domainJSON(id: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("SELECT (\(Projection.domain))::text AS json FROM domains t WHERE t.id = $1", [id])
                .first?.decode("json", as: String.self)
        }
    }

    /// A new unverified external domain with its challenge; the tenant's
    /// first domain becomes its primary. A name taken anywhere is a 409.
    public func createDomain(tenantId: String, name: String) async throws -> String {
        let id = Identifier.make()
        let value = Self.challengeValuePrefix + KeyToken.make(prefix: "", length: 32)
        return try await database.withTransaction { connection in
            // Serialises concurrent first domains of one tenant, so one of them is primary.
            _ = try connection.query("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE", [tenantId])
            return try connection.query("""
                INSERT INTO domains AS t (id, tenant_id, name, "primary", type, verification_record_type,
                                          verification_record_domain, verification_record_value)
                VALUES ($1, $2, $3, NOT EXISTS (SELECT 1 FROM domains d WHERE d.tenant_id = $2 AND d."primary"),
                        'external', 'TXT', $4 || $3, $5)
                RETURNING (\(Projection.domain))::text AS json
                """, [id, tenantId, name, Self.challengePrefix, value])[0].decode("json", as: String.self)
        }
    }

    /// Deletes the domain; when it was primary the oldest remaining one takes over.
    public func deleteDomain(id: String, tenantId: String) async throws -> Bool {
        try await database.withTransaction { connection in
            let rows = try connection.query("""
                DELETE FROM domains WHERE id = $1 AND tenant_id = $2 RETURNING "primary"
                """, [id, tenantId])
            guard let row = rows.first else { return false }
            if try row.decode("primary", as: Bool.self) {
                _ = try connection.query("""
                    UPDATE domains SET "primary" = true, updated_at = herald_now()
                    WHERE id = (SELECT id FROM domains WHERE tenant_id = $1 ORDER BY created_at, seq LIMIT 1)
                    """, [tenantId])
            }
            return true
        }
    }

    public struct DomainChallenge: Sendable {
        public let name: String
        public let recordDomain: String
        public let recordValue: String
        public let verified: Bool
    }

    public func domainChallenge(id: String, tenantId: String) async throws -> DomainChallenge? {
        try await database.withConnection { connection in
            guard let row = try connection.query("""
                SELECT name, coalesce(verification_record_domain, $3 || name) AS record_domain, verification_record_value, verified
                FROM domains WHERE id = $1 AND tenant_id = $2
                """, [id, tenantId, Self.challengePrefix]).first else { return nil }
            return DomainChallenge(name: try row.decode("name", as: String.self), recordDomain: try row.decode("record_domain", as: String.self),
                                   recordValue: try row.decode("verification_record_value", as: String?.self) ?? "",
                                   verified: try row.decode("verified", as: Bool.self))
        }
    }

    /// Stores a check's outcome: verified clears the reason, otherwise the reason says why not.
    public func recordDomainCheck(id: String, tenantId: String, verified: Bool, reason: String?) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("""
                UPDATE domains t SET verified = $3, verification_record_reason = $4, updated_at = herald_now()
                WHERE t.id = $1 AND t.tenant_id = $2 RETURNING (\(Projection.domain))::text AS json
                """, [id, tenantId, verified, verified ? nil : reason]).first?.decode("json", as: String.self)
        }
    }

    /// Makes this domain the tenant's only primary one.
    public func makePrimaryDomain(id: String, tenantId: String) async throws -> String? {
        try await database.withTransaction { connection in
            _ = try connection.query("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE", [tenantId])
            guard !(try connection.query("SELECT 1 FROM domains WHERE id = $1 AND tenant_id = $2", [id, tenantId]).isEmpty)
            else { return nil }
            _ = try connection.query("""
                UPDATE domains SET "primary" = false, updated_at = herald_now()
                WHERE tenant_id = $1 AND "primary" AND id <> $2
                """, [tenantId, id])
            return try connection.query("""
                UPDATE domains t SET "primary" = true, updated_at = CASE WHEN t."primary" THEN t.updated_at ELSE herald_now() END
                WHERE t.id = $1 AND t.tenant_id = $2 RETURNING (\(Projection.domain))::text AS json
                """, [id, tenantId]).first?.decode("json", as: String.self)
        }
    }
}
