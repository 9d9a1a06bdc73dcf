import Crypto
import JSON
import Postgres

/// A request named a row that is not the caller's tenant's (or does not
/// exist): the API answers 400 with these issues.
public struct InvalidReference: Error, Sendable {
    public let issues: [String]
    public init(_ issues: [String]) { self.issues = issues }
}

/// Roles of a tenant's users and organization members, with `_count` of each.
extension Store {
    public func rolesPage(tenantId: String, _ request: PageRequest) async throws -> Page {
        try await pageOf("roles", Projection.role("t"), tenantId: tenantId, request)
    }

    public func roleTenant(id: String) async throws -> String? {
        try await tenantOf("roles", id)
    }

    public func roleJSON(id: String, tenantId: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("SELECT (\(Projection.role("t")))::text AS json FROM roles t WHERE t.id = $1 AND t.tenant_id = $2",
                                 [id, tenantId]).first?.decode("json", as: String.self)
        }
    }

    public func createRole(tenantId: String, name: String, description: String?, permissions: [String]) async throws -> String {
        try await database.withConnection { connection in
            try connection.query("""
                INSERT INTO roles AS t (id, tenant_id, name, description, permissions)
                VALUES ($1, $2, $3, $4, ARRAY(SELECT jsonb_array_elements_text($5::jsonb)))
                RETURNING (\(Projection.role("t")))::text AS json
                """, [Identifier.make(), tenantId, name, description, Self.roleJSONArray(permissions)])[0]
                .decode("json", as: String.self)
        }
    }

    /// `description`: `.none` keeps it, `.some(nil)` clears it.
    public func updateRole(id: String, tenantId: String, name: String?, description: String??,
                           permissions: [String]?) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("""
                UPDATE roles t SET name = coalesce($3, t.name),
                  description = CASE WHEN $4 THEN $5 ELSE t.description END,
                  permissions = CASE WHEN $6::jsonb IS NULL THEN t.permissions
                                     ELSE ARRAY(SELECT jsonb_array_elements_text($6::jsonb)) END,
                  updated_at = herald_now()
                WHERE t.id = $1 AND t.tenant_id = $2
                RETURNING (\(Projection.role("t")))::text AS json
                """, [id, tenantId, name, description != nil, description ?? nil, permissions.map(Self.roleJSONArray)])
                .first?.decode("json", as: String.self)
        }
    }

    /// Answers the role as it was; users and members holding it lose it.
    public func deleteRole(id: String, tenantId: String) async throws -> String? {
        try await database.withTransaction { connection in
            guard let json = try connection.query(
                "SELECT (\(Projection.role("t")))::text AS json FROM roles t WHERE t.id = $1 AND t.tenant_id = $2 FOR UPDATE",
                [id, tenantId]).first?.decode("json", as: String.self) else { return nil }
            _ = try connection.query("DELETE FROM roles WHERE id = $1 AND tenant_id = $2", [id, tenantId])
            return json
        }
    }

    static func roleJSONArray(_ strings: [String]) -> String {
        JSONValue.array(strings.map { .string($0) }).jsonString
    }

    /// Refuses ids that are not rows of `table` in the tenant; `table` is a constant.
    static func orgRequireOwned(_ connection: PostgresConnection, table: String, field: String, id: String?,
                             tenantId: String) throws {
        guard let id else { return }
        if try connection.query("SELECT 1 FROM \(table) WHERE id = $1 AND tenant_id = $2", [id, tenantId]).isEmpty {
            throw InvalidReference(["\(field): no such \(table.dropLast()) in this tenant"])
        }
    }
}
