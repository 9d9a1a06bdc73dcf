import Postgres

/// Drafts (the template studio): one unpublished edit per template that no
/// send, test or contract read sees until it is published. Publishing makes
/// it the template as a new version, in one transaction with deleting it.
extension Store {
    public struct TemplateDraft: Sendable {
        public let subject: String?
        /// The body as JSON text, as written (it may not compile).
        public let body: String
        /// The visual editor's document as JSON text, when there is one.
        public let content: String?
        /// The template's version when the draft was started.
        public let baseVersion: Int
        public let updatedAt: String
    }

    public enum PublishOutcome: Sendable {
        case published(json: String, version: Int)
        case notFound
        /// No draft, or it was deleted between being checked and published.
        case noDraft
        case versionMismatch(current: Int)
        /// The draft changed (or went) between being checked and published.
        case draftChanged
    }

    private static let draftColumns = "d.subject, d.body::text AS body, d.content::text AS content, d.base_version, herald_ts(d.updated_at) AS updated_at"

    private static func draft(_ row: PostgresRow) throws -> TemplateDraft {
        TemplateDraft(subject: try row.optional("subject", as: String.self), body: try row.decode("body", as: String.self),
                      content: try row.optional("content", as: String.self), baseVersion: try row.decode("base_version", as: Int.self),
                      updatedAt: try row.decode("updated_at", as: String.self))
    }

    public func templateDraft(id: String, tenantId: String) async throws -> TemplateDraft? {
        try await database.withConnection { connection in
            try connection.query("""
                SELECT \(Self.draftColumns) FROM notification_template_drafts d WHERE d.template_id = $1 AND d.tenant_id = $2
                """, [id, tenantId]).first.map(Self.draft)
        }
    }

    /// Creates or changes the draft: a new draft starts from the template's
    /// current subject, body and content, then takes what is given. Nil when
    /// there is no such template.
    public func saveTemplateDraft(id: String, tenantId: String, subject: String??, body: String?,
                                  content: String?) async throws -> TemplateDraft? {
        try await database.withTransaction { connection in
            try connection.query("""
                INSERT INTO notification_template_drafts AS d (template_id, tenant_id, subject, body, content, base_version)
                SELECT t.id, t.tenant_id, CASE WHEN $3 THEN $4 ELSE t.subject END, coalesce($5::jsonb, t.body),
                       coalesce($6::jsonb, t.content), t.version
                FROM notification_templates t WHERE t.id = $1 AND t.tenant_id = $2
                ON CONFLICT (template_id) DO UPDATE SET
                  subject = CASE WHEN $3 THEN $4 ELSE d.subject END,
                  body = coalesce($5::jsonb, d.body),
                  content = coalesce($6::jsonb, d.content),
                  updated_at = herald_now()
                RETURNING \(Self.draftColumns)
                """, [id, tenantId, subject != nil, subject ?? nil, body, content]).first.map(Self.draft)
        }
    }

    public func deleteTemplateDraft(id: String, tenantId: String) async throws -> Bool {
        try await database.withConnection { connection in
            try connection.query("DELETE FROM notification_template_drafts WHERE template_id = $1 AND tenant_id = $2",
                                 [id, tenantId]).affectedRows > 0
        }
    }

    /// Makes `draft` (as the caller read and checked it) the template: a new
    /// version when anything differs, and the draft deleted. A draft saved
    /// since the check is not published (`draftChanged`), so what goes live
    /// is always what was checked.
    public func publishTemplateDraft(id: String, tenantId: String, _ draft: TemplateDraft,
                                     expectedVersion: Int?) async throws -> PublishOutcome {
        do {
            return try await publish(id: id, tenantId: tenantId, draft, expectedVersion: expectedVersion)
        } catch let changed as DraftChanged {
            return changed.gone ? .noDraft : .draftChanged
        }
    }

    private func publish(id: String, tenantId: String, _ draft: TemplateDraft,
                         expectedVersion: Int?) async throws -> PublishOutcome {
        try await database.withTransaction { connection in
            let update = try Self.updateTemplate(connection, id: id, tenantId: tenantId, name: nil,
                                                 subject: .some(draft.subject), body: draft.body, content: draft.content,
                                                 expectedVersion: expectedVersion)
            guard case .updated(let json, let version) = update else {
                switch update {
                case .versionMismatch(let current): return .versionMismatch(current: current)
                default: return .notFound
                }
            }
            let deleted = try connection.query("""
                DELETE FROM notification_template_drafts
                WHERE template_id = $1 AND tenant_id = $2 AND subject IS NOT DISTINCT FROM $3
                  AND body = $4::jsonb AND content IS NOT DISTINCT FROM $5::jsonb
                """, [id, tenantId, draft.subject, draft.body, draft.content]).affectedRows
            guard deleted > 0 else {
                let gone = try connection.query("SELECT 1 FROM notification_template_drafts WHERE template_id = $1", [id]).isEmpty
                throw DraftChanged(gone: gone)
            }
            return .published(json: json, version: version)
        }
    }

    /// Rolls the publish back: the draft is not the one that was checked.
    private struct DraftChanged: Error, Sendable {
        /// Deleted rather than changed.
        let gone: Bool
    }

    /// The tenant's other templates whose text holds `name` (a cheap filter:
    /// the caller compiles them to see which really use it as a partial or layout).
    public func templatesMentioning(_ name: String, tenantId: String, except id: String) async throws -> [StoredTemplate] {
        try await database.withConnection { connection in
            try connection.query("""
                SELECT \(Self.templateColumns) FROM notification_templates t
                WHERE t.tenant_id = $1 AND t.id <> $3 AND t.name <> $2
                  AND (strpos(t.body::text, $2) > 0 OR strpos(coalesce(t.subject, ''), $2) > 0)
                ORDER BY t.name, t.type
                """, [tenantId, name, id]).map(Self.storedTemplate)
        }
    }
}
