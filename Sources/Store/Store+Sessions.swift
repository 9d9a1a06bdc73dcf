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
        try await pageOf("\(record.table)", record.projection, tenantId: tenantId, request)
    }

    public func recordsPage(_ record: AuthRecord, userId: String, tenantId: String, _ request: PageRequest) async throws -> Page {
        try await pageOf("\(record.table)", record.projection, tenantId: tenantId, userId: userId, request)
    }

    public func recordTenant(_ record: AuthRecord, id: String) async throws -> String? {
        try await tenantOf(record.table, id)
    }

    public func recordJSON(_ record: AuthRecord, id: String, tenantId: String) async throws -> String? {
        try await jsonOf(record.table, record.projection, id, tenantId)
    }

    public func deleteRecord(_ record: AuthRecord, id: String, tenantId: String) async throws -> Bool {
        try await database.withConnection { connection in
            try connection.query("DELETE FROM \(record.table) WHERE id = $1 AND tenant_id = $2", [id, tenantId]).affectedRows > 0
        }
    }
}
