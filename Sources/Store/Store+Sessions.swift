import Postgres

/// Sessions and sign-in/sign-up attempts: read and delete. Herald's own
/// sign-in flow (not part of this API) writes them.
extension Store {
    public enum AuthRecord: Sendable, CaseIterable {
        case session, signIn, signUp

        var table: String {
            switch self {
            case .session: return "sessions"
            case .signIn: return "sign_in_attempts"
            case .signUp: return "sign_up_attempts"
            }
        }

        var projection: String {
            switch self {
            case .session: return Projection.session
            case .signIn: return Projection.signInAttempt("t")
            case .signUp: return Projection.signUpAttempt("t")
            }
        }
    }

    public func recordsPage(_ record: AuthRecord, tenantId: String, _ request: PageRequest) async throws -> Page {
        try await pool.withConnection { connection in
            try connection.page(PageQuery(from: "\(record.table) t", projection: record.projection,
                                          filter: "t.tenant_id = $1", binds: [tenantId]), request)
        }
    }

    public func recordsPage(_ record: AuthRecord, userId: String, tenantId: String, _ request: PageRequest) async throws -> Page {
        try await pool.withConnection { connection in
            try connection.page(PageQuery(from: "\(record.table) t", projection: record.projection,
                                          filter: "t.user_id = $1 AND t.tenant_id = $2", binds: [userId, tenantId]), request)
        }
    }

    public func recordTenant(_ record: AuthRecord, id: String) async throws -> String? {
        try await pool.withConnection { connection in
            try connection.query("SELECT tenant_id FROM \(record.table) WHERE id = $1", [id]).first?.decode(0, as: String.self)
        }
    }

    public func recordJSON(_ record: AuthRecord, id: String, tenantId: String) async throws -> String? {
        try await pool.withConnection { connection in
            try connection.query("SELECT (\(record.projection))::text FROM \(record.table) t WHERE t.id = $1 AND t.tenant_id = $2",
                                 [id, tenantId]).first?.decode(0, as: String.self)
        }
    }

    public func deleteRecord(_ record: AuthRecord, id: String, tenantId: String) async throws -> Bool {
        try await pool.withConnection { connection in
            try connection.query("DELETE FROM \(record.table) WHERE id = $1 AND tenant_id = $2", [id, tenantId]).affectedRows > 0
        }
    }
}
