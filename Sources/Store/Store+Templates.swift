import Crypto
import JSON
import Postgres

/// Notification templates with their version history. Every change of body,
/// subject or content makes a new version row; the template row carries the
/// current version number, which clients send back in `If-Match`.
extension Store {
    /// A template's stored parts, for rendering.
    public struct StoredTemplate: Sendable {
        public let id: String
        public let tenantId: String
        public let name: String
        public let type: String
        public let subject: String?
        /// The body document as JSON text.
        public let body: String
        public let version: Int

        /// The same template with other parts (a draft's, to render it).
        public func replacing(subject: String?, body: String) -> StoredTemplate {
            StoredTemplate(id: id, tenantId: tenantId, name: name, type: type, subject: subject, body: body, version: version)
        }
    }

    /// A template to insert: built-in seeds, clones.
    public struct TemplateSeed: Sendable {
        public let name: String
        public let type: String
        public let subject: String?
        public let body: String
        /// The template's sample data as JSON text of an object (built-ins: from `sample-data.json`).
        public let sample: String?
        public init(name: String, type: String, subject: String?, body: String, sample: String? = nil) {
            self.name = name
            self.type = type
            self.subject = subject
            self.body = body
            self.sample = sample
        }
    }

    public enum TemplateUpdate: Sendable {
        case updated(json: String, version: Int)
        case notFound
        case versionMismatch(current: Int)
        case noSuchVersion
    }

    static let templateColumns = "t.id, t.tenant_id, t.name, t.type, t.subject, t.body::text AS body, t.version"

    static func storedTemplate(_ row: PostgresRow) throws -> StoredTemplate {
        StoredTemplate(id: try row.decode("id", as: String.self), tenantId: try row.decode("tenant_id", as: String.self),
                       name: try row.decode("name", as: String.self), type: try row.decode("type", as: String.self),
                       subject: try row.optional("subject", as: String.self), body: try row.decode("body", as: String.self),
                       version: try row.decode("version", as: Int.self))
    }

    public func templatesPage(tenantId: String, type: String?, _ request: PageRequest) async throws -> Page {
        try await database.withConnection { connection in
            try connection.page(PageQuery(from: "notification_templates t", projection: Projection.template,
                                          filter: "t.tenant_id = $1 AND ($2::text IS NULL OR t.type = $2)",
                                          binds: [tenantId, type]), request)
        }
    }

    /// The owning tenant of a template, for authorisation before anything else.
    public func templateTenant(id: String) async throws -> String? { try await tenantOf("notification_templates", id) }

    /// The template's JSON with its tenant, in one round trip: the hot read,
    /// authorised by the caller against `tenantId` afterwards.
    /// One statement through `pool.query`: under load, concurrent reads are
    /// pipelined and share a round trip.
    public func templateJSON(id: String) async throws -> (tenantId: String, json: String, version: Int)? {
        guard let row = try await database.query("""
            SELECT t.tenant_id, (\(Projection.template))::text AS json, t.version FROM notification_templates t WHERE t.id = $1
            """, [id]).first else { return nil }
        return try StoreError.mapped {
            (try row.decode("tenant_id", as: String.self), try row.decode("json", as: String.self),
             try row.decode("version", as: Int.self))
        }
    }

    public func template(id: String, tenantId: String) async throws -> StoredTemplate? {
        try await database.withConnection { connection in
            try connection.query("SELECT \(Self.templateColumns) FROM notification_templates t WHERE t.id = $1 AND t.tenant_id = $2",
                                 [id, tenantId]).first.map(Self.storedTemplate)
        }
    }

    /// A tenant's template by id or, failing that, by name (and type when given).
    public func template(reference: String, tenantId: String, type: String? = nil) async throws -> StoredTemplate? {
        try await database.withConnection { connection in
            try connection.query("""
                SELECT \(Self.templateColumns) FROM notification_templates t
                WHERE t.tenant_id = $1 AND (t.id = $2 OR (t.name = $2 AND ($3::text IS NULL OR t.type = $3)))
                ORDER BY (t.id = $2) DESC, t.created_at LIMIT 1
                """, [tenantId, reference, type]).first.map(Self.storedTemplate)
        }
    }

    /// The tenant's templates with these names (partials and layouts), any type.
    public func templates(named names: [String], tenantId: String) async throws -> [StoredTemplate] {
        guard !names.isEmpty else { return [] }
        return try await database.withConnection { connection in
            try connection.query("""
                SELECT \(Self.templateColumns) FROM notification_templates t
                WHERE t.tenant_id = $1 AND t.name = ANY($2::text[]) ORDER BY t.name, t.created_at
                """, [tenantId, names]).map(Self.storedTemplate)
        }
    }

    public func createTemplate(tenantId: String, _ seed: TemplateSeed) async throws -> String {
        try await database.withTransaction { connection in
            try Self.insertTemplate(connection, tenantId: tenantId, seed, content: nil).json
        }
    }

    /// Inserts a template and its first version; answers its id and JSON.
    @discardableResult
    static func insertTemplate(_ connection: PostgresConnection, tenantId: String, _ seed: TemplateSeed,
                               content: String?) throws -> (id: String, json: String) {
        let id = Identifier.make()
        let rows = try connection.query("""
            INSERT INTO notification_templates AS t (id, tenant_id, name, type, subject, body, content, sample_data)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, coalesce($8::jsonb, '{}'))
            RETURNING (\(Projection.template))::text AS json
            """, [id, tenantId, seed.name, seed.type, seed.subject, seed.body, content, seed.sample])
        try recordVersion(connection, templateId: id)
        return (id, try rows[0].decode("json", as: String.self))
    }

    /// Stores the template's current state as a version row, once per version.
    static func recordVersion(_ connection: PostgresConnection, templateId: String) throws {
        _ = try connection.query("""
            INSERT INTO notification_template_versions (id, tenant_id, template_id, version, subject, body, content)
            SELECT $2, tenant_id, id, version, subject, body, content FROM notification_templates WHERE id = $1
            ON CONFLICT (template_id, version) DO NOTHING
            """, [templateId, Identifier.make()])
    }

    /// Changes name, subject, body and/or content. A change of subject, body or
    /// content makes a new version; `expectedVersion` (from `If-Match`) guards
    /// against lost updates.
    public func updateTemplate(id: String, tenantId: String, name: String?, subject: String??, body: String?,
                               content: String? = nil, expectedVersion: Int?) async throws -> TemplateUpdate {
        try await database.withTransaction { connection in
            try Self.updateTemplate(connection, id: id, tenantId: tenantId, name: name, subject: subject, body: body,
                                    content: content, expectedVersion: expectedVersion)
        }
    }

    /// `updateTemplate` on the caller's transaction (publishing a draft runs it too).
    static func updateTemplate(_ connection: PostgresConnection, id: String, tenantId: String, name: String?,
                               subject: String??, body: String?, content: String?,
                               expectedVersion: Int?) throws -> TemplateUpdate {
        guard let current = try connection.query(
            "SELECT version FROM notification_templates WHERE id = $1 AND tenant_id = $2 FOR UPDATE", [id, tenantId])
            .first?.decode("version", as: Int.self) else { return .notFound }
        if let expectedVersion, expectedVersion != current { return .versionMismatch(current: current) }
        let rows = try connection.query("""
            UPDATE notification_templates t SET
              name = coalesce($3, t.name),
              subject = CASE WHEN $4 THEN $5 ELSE t.subject END,
              body = coalesce($6::jsonb, t.body),
              content = coalesce($7::jsonb, t.content),
              version = t.version + CASE WHEN ($4 AND $5 IS DISTINCT FROM t.subject)
                                           OR ($6::jsonb IS NOT NULL AND $6::jsonb IS DISTINCT FROM t.body)
                                           OR ($7::jsonb IS NOT NULL AND $7::jsonb IS DISTINCT FROM t.content)
                                         THEN 1 ELSE 0 END,
              updated_at = herald_now()
            WHERE t.id = $1 AND t.tenant_id = $2
            RETURNING (\(Projection.template))::text AS json, t.version
            """, [id, tenantId, name, subject != nil, subject ?? nil, body, content])
        try Self.recordVersion(connection, templateId: id)
        return .updated(json: try rows[0].decode("json", as: String.self), version: try rows[0].decode("version", as: Int.self))
    }

    public func deleteTemplate(id: String, tenantId: String) async throws -> Bool {
        try await database.withConnection { connection in
            try connection.query("DELETE FROM notification_templates WHERE id = $1 AND tenant_id = $2", [id, tenantId])
                .affectedRows > 0
        }
    }

    /// The visual editor's document, or the empty one.
    public func templateContent(id: String, tenantId: String) async throws -> (json: String, version: Int)? {
        try await database.withConnection { connection in
            guard let row = try connection.query("""
                SELECT coalesce(content::text, '{"assets":[],"pages":[],"styles":[]}') AS content, version
                FROM notification_templates WHERE id = $1 AND tenant_id = $2
                """, [id, tenantId]).first else { return nil }
            return (try row.decode("content", as: String.self), try row.decode("version", as: Int.self))
        }
    }

    /// History, newest first.
    public func templateVersions(id: String, tenantId: String) async throws -> [String]? {
        try await database.withConnection { connection in
            guard !(try connection.query("SELECT 1 FROM notification_templates WHERE id = $1 AND tenant_id = $2",
                                         [id, tenantId]).isEmpty) else { return nil }
            return try connection.query("""
                SELECT (\(Projection.templateVersion))::text AS json FROM notification_template_versions v
                WHERE v.template_id = $1 ORDER BY v.version DESC
                """, [id]).map { try $0.decode("json", as: String.self) }
        }
    }

    /// Makes an old version current again, as a new version.
    public func restoreTemplateVersion(id: String, tenantId: String, version: Int) async throws -> TemplateUpdate {
        try await database.withTransaction { connection in
            guard !(try connection.query(
                "SELECT 1 FROM notification_templates WHERE id = $1 AND tenant_id = $2 FOR UPDATE", [id, tenantId]).isEmpty)
            else { return .notFound }
            let rows = try connection.query("""
                UPDATE notification_templates t SET subject = v.subject, body = v.body, content = v.content,
                  version = t.version + 1, updated_at = herald_now()
                FROM notification_template_versions v
                WHERE t.id = $1 AND t.tenant_id = $2 AND v.template_id = t.id AND v.version = $3
                RETURNING (\(Projection.template))::text AS json, t.version
                """, [id, tenantId, version])
            guard let row = rows.first else { return .noSuchVersion }
            try Self.recordVersion(connection, templateId: id)
            return .updated(json: try row.decode("json", as: String.self), version: try row.decode("version", as: Int.self))
        }
    }
}
