import Postgres

/// Sample data per template (the template studio): the variables a template
/// is previewed and tested with when a request brings none. Kept as a column
/// of the template, so clones copy it and a delete takes it along.
extension Store {
    /// The sample data as JSON text of an object (`{}` when none was set), or nil for no such template.
    public func templateSample(id: String, tenantId: String) async throws -> String? {
        let rows = try await database.query(
            "SELECT sample_data::text AS sample_data FROM notification_templates WHERE id = $1 AND tenant_id = $2", [id, tenantId])
        return try StoreError.mapped { try rows.first?.decode("sample_data", as: String.self) }
    }

    /// Replaces the sample data; answers the stored text, or nil for no such template.
    /// Not a new version: sample data is not part of what is sent.
    public func setTemplateSample(id: String, tenantId: String, json: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("""
                UPDATE notification_templates SET sample_data = $3::jsonb WHERE id = $1 AND tenant_id = $2
                RETURNING sample_data::text AS sample_data
                """, [id, tenantId, json]).first?.decode("sample_data", as: String.self)
        }
    }
}
