import Store

/// Authorisation for one request: what the principal may reach. A tenant the
/// caller cannot reach answers 404, never 403, so existence does not leak;
/// a member lacking a role flag gets 403.
struct Access: Sendable {
    let principal: Principal
    let store: Store

    /// The platform user behind a bearer token; tenant keys are refused here.
    func platformUser() throws -> String {
        guard case .platformUser(let id) = principal else { throw APIError.unauthorized }
        return id
    }

    /// Checks the caller may act on `tenantId` with `roles`.
    func tenant(_ tenantId: String, _ roles: MemberRoles = []) async throws {
        switch principal {
        case .tenant(let id):
            guard id == tenantId else { throw APIError.notFound }
        case .platformUser(let userId):
            guard let held = try await store.memberRoles(tenantId: tenantId, platformUserId: userId) else {
                throw APIError.notFound
            }
            guard held.grants(roles) else { throw APIError.forbidden }
        }
    }

    /// Like `tenant`, for platform routes that take only bearer tokens.
    func platformTenant(_ tenantId: String, _ roles: MemberRoles = []) async throws {
        _ = try platformUser()
        try await tenant(tenantId, roles)
    }

    /// A `tenantId` in the query string must name a tenant the caller reaches,
    /// on every route, whether or not the route reads it: one naming another
    /// tenant is a 404 and a malformed one a 400, never silently ignored.
    func queryTenant(_ request: APIRequest) async throws {
        guard let tenantId = request.query["tenantId"], !tenantId.isEmpty else { return }
        guard Format.isId(tenantId) else { throw APIError.validation(["tenantId: must be an id"]) }
        try await tenant(tenantId)
    }
}
