import Postgres

/// The lookups most resources share: which tenant owns a row (to authorise
/// before anything else), a row's wire JSON within its tenant, and a page of
/// a tenant's (or one of its users') rows.
/// `table` and `projection` are constants of the code, never input.
extension Store {
    /// A row's tenant; a soft-deleted row (`softDeletes` tables) is absent.
    func tenantOf(_ table: String, _ id: String, softDeletes: Bool = false) async throws -> String? {
        let live = softDeletes ? " AND deleted_at IS NULL" : ""
        return try await database.withConnection { connection in
            try connection.query("SELECT tenant_id FROM \(table) WHERE id = $1\(live)", [id]).first?.decode("tenant_id", as: String.self)
        }
    }

    /// A row's wire JSON within its tenant; a soft-deleted row (`softDeletes` tables) is absent.
    func jsonOf(_ table: String, _ projection: String, _ id: String, _ tenantId: String,
                softDeletes: Bool = false) async throws -> String? {
        let live = softDeletes ? " AND t.deleted_at IS NULL" : ""
        return try await database.withConnection { connection in
            try connection.query("SELECT (\(projection))::text AS json FROM \(table) t WHERE t.id = $1 AND t.tenant_id = $2\(live)",
                                 [id, tenantId]).first?.decode("json", as: String.self)
        }
    }

    /// A page of the tenant's rows of `table` (aliased `t` for `projection`),
    /// only those of `userId` when given.
    func pageOf(_ table: String, _ projection: String, tenantId: String, userId: String? = nil,
                _ request: PageRequest) async throws -> Page {
        let query = userId.map {
            PageQuery(from: "\(table) t", projection: projection, filter: "t.user_id = $1 AND t.tenant_id = $2",
                      binds: [$0, tenantId])
        } ?? PageQuery(from: "\(table) t", projection: projection, filter: "t.tenant_id = $1", binds: [tenantId])
        return try await database.withConnection { connection in try connection.page(query, request) }
    }
}
