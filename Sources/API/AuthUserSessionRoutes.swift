import JSON
import Store

/// Sessions, sign-in attempts and sign-up attempts: lists, get and delete.
enum AuthUserSessionRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.on("GET", "/tenants/:tenantId/auth/sessions") { request, access in
            let tenantId = try request.id("tenantId")
            try await access.tenant(tenantId, .viewUsers)
            return .list(try await store.recordsPage(.session, tenantId: tenantId, try request.pageRequest()))
        }

        routes.owned("GET", "/auth/users/:userId/sessions", .viewUsers, id: "userId", lookup: store.userTenant) { request, access, userId, tenantId in
            return .list(try await store.recordsPage(.session, userId: userId, tenantId: tenantId, try request.pageRequest()))
        }

        routes.on("GET", "/auth/sign-ins") { request, access in
            let tenantId = try request.tenantIdQuery()
            try await access.tenant(tenantId, .viewUsers)
            return .list(try await store.recordsPage(.signIn, tenantId: tenantId, try request.pageRequest()))
        }

        routes.on("GET", "/auth/sign-ups") { request, access in
            let tenantId = try request.tenantIdQuery()
            try await access.tenant(tenantId, .viewUsers)
            return .listWithoutStatus(try await store.recordsPage(.signUp, tenantId: tenantId, try request.pageRequest()))
        }

        for (path, record) in [("sessions", Store.AuthRecord.session), ("sign-ins", .signIn), ("sign-ups", .signUp)] {
            let lookup: @Sendable (String) async throws -> String? = { try await store.recordTenant(record, id: $0) }

            routes.owned("GET", "/auth/\(path)/:id", .viewUsers, lookup: lookup) { request, access, id, tenantId in
                guard let json = try await store.recordJSON(record, id: id, tenantId: tenantId) else { throw APIError.notFound }
                return .json(text: json)
            }

            routes.owned("DELETE", "/auth/\(path)/:id", .editUsers, lookup: lookup) { request, access, id, tenantId in
                guard try await store.deleteRecord(record, id: id, tenantId: tenantId) else { throw APIError.notFound }
                return .json(["deleted": true])
            }
        }
    }
}

extension APIResponse {
    /// The sign-ups list: the contract's envelope there has no `status`.
    static func listWithoutStatus(_ page: Page) -> APIResponse {
        var response = list(page)
        let prefix = Array(#"{"status":"success","#.utf8)
        response.body = Array("{".utf8) + response.body.dropFirst(prefix.count)
        return response
    }
}
