import Postgres

/// The two lookups most resources share: which tenant owns a row (to
/// authorise before anything else), and a row's wire JSON within its tenant.
/// `table` and `projection` are constants of the code, never input.
extension Store {
    func tenantOf(_ table: String, _ id: String) async throws -> String? {
        try await pool.withConnection { connection in
            try connection.query("SELECT tenant_id FROM \(table) WHERE id = $1", [id]).first?.decode(0, as: String.self)
        }
    }

    func jsonOf(_ table: String, _ projection: String, _ id: String, _ tenantId: String) async throws -> String? {
        try await pool.withConnection { connection in
            try connection.query("SELECT (\(projection))::text FROM \(table) t WHERE t.id = $1 AND t.tenant_id = $2",
                                 [id, tenantId]).first?.decode(0, as: String.self)
        }
    }
}
