import Crypto
import Logging
import Postgres

/// Copying templates in bulk: a new tenant's built-in templates, and
/// clone-all-to-tenant. Both run inside one transaction, so an error copies
/// nothing.
extension Store {
    /// Well-known template names and the AuthSettings columns that point at them.
    static let authTemplateColumns: [(name: String, type: String, column: String)] = [
        ("verification-code", "email", "code_verification_email_template_id"),
        ("verification-code", "sms", "code_verification_sms_template_id"),
        ("magic-link", "email", "magic_link_email_template_id"),
        ("magic-link", "sms", "magic_link_sms_template_id"),
        ("welcome", "email", "welcome_email_template_id"),
        ("welcome", "sms", "welcome_sms_template_id"),
    ]

    /// Copies the built-in templates into a new tenant (inside its creating
    /// transaction) and points its AuthSettings at them.
    public static func seedTemplates(_ connection: PostgresConnection, tenantId: String, seeds: [TemplateSeed]) throws {
        for seed in seeds { try insertTemplate(connection, tenantId: tenantId, seed, content: nil) }
        try pointUnsetAuthSettings(connection, tenantId: tenantId)
    }

    /// Sets each unset AuthSettings template id to the tenant's template of the well-known name.
    static func pointUnsetAuthSettings(_ connection: PostgresConnection, tenantId: String) throws {
        for entry in authTemplateColumns {
            // Column names are constants of this file, never input.
            _ = try connection.query("""
                UPDATE tenant_auth_settings a SET \(entry.column) = (
                  SELECT t.id FROM notification_templates t
                  WHERE t.tenant_id = a.tenant_id AND t.name = $2 AND t.type = $3 ORDER BY t.created_at LIMIT 1)
                WHERE a.tenant_id = $1 AND a.\(entry.column) IS NULL
                """, [tenantId, entry.name, entry.type])
        }
    }

    public struct CloneResult: Sendable {
        public var successes: [String] = []
        public var failures: [String] = []
    }

    /// Copies every template of `from` into `to` with body, subject, content,
    /// sample data and its current version as the first of the copy's history. Templates whose
    /// name and type already exist in `to` are left alone and reported as
    /// failures. The target's unset AuthSettings template ids are pointed at
    /// the copies. One transaction; progress is logged every `batch` copies.
    public func cloneAllTemplates(from: String, to: String, logger: Logger, batch: Int = 500) async throws -> CloneResult {
        try await database.withTransaction { connection in
            // Serialise concurrent clones into the same tenant.
            _ = try connection.query("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE", [to])
            let sources = try connection.query("""
                SELECT s.id, EXISTS (SELECT 1 FROM notification_templates d
                                     WHERE d.tenant_id = $2 AND d.name = s.name AND d.type = s.type) AS taken
                FROM notification_templates s WHERE s.tenant_id = $1 ORDER BY s.created_at, s.seq
                """, [from, to])
            var result = CloneResult()
            var copies: [(source: String, copy: String)] = []
            for row in sources {
                let id = try row.decode("id", as: String.self)
                if try row.decode("taken", as: Bool.self) {
                    result.failures.append(id)
                } else {
                    result.successes.append(id)
                    copies.append((id, Identifier.make()))
                }
            }
            var done = 0
            while done < copies.count {
                let slice = copies[done..<min(done + batch, copies.count)]
                _ = try connection.query("""
                    WITH m AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS m(source, copy, version_id)),
                    inserted AS (
                      INSERT INTO notification_templates (id, tenant_id, name, type, subject, body, content, sample_data)
                      SELECT m.copy, $4, s.name, s.type, s.subject, s.body, s.content, s.sample_data
                      FROM m JOIN notification_templates s ON s.id = m.source
                      RETURNING id, tenant_id, version, subject, body, content)
                    INSERT INTO notification_template_versions (id, tenant_id, template_id, version, subject, body, content)
                    SELECT m.version_id, i.tenant_id, i.id, i.version, i.subject, i.body, i.content
                    FROM inserted i JOIN m ON m.copy = i.id
                    """, [slice.map(\.source), slice.map(\.copy), slice.map { _ in Identifier.make() }, to])
                done += slice.count
                if copies.count > batch {
                    logger.info("cloning templates", ("toTenantId", .string(to)), ("copied", .int(done)),
                                ("total", .int(copies.count)))
                }
            }
            // Point the target's unset references at the copies of what the source used.
            for entry in Self.authTemplateColumns {
                _ = try connection.query("""
                    UPDATE tenant_auth_settings a SET \(entry.column) = m.copy
                    FROM tenant_auth_settings src, unnest($3::text[], $4::text[]) AS m(source, copy)
                    WHERE a.tenant_id = $1 AND a.\(entry.column) IS NULL
                      AND src.tenant_id = $2 AND src.\(entry.column) = m.source
                    """, [to, from, copies.map(\.source), copies.map(\.copy)])
            }
            try Self.pointUnsetAuthSettings(connection, tenantId: to)
            return result
        }
    }
}
