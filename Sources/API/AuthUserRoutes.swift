import JSON
import Store

/// The users, email addresses, phone numbers, sessions, sign-in and sign-up attempts operations.
/// This file holds the users; the rest are in `AuthUserContactRoutes`,
/// `VerificationRoutes` and `AuthUserSessionRoutes`, added from here.
enum AuthUserRoutes {
    static let statuses = ["active", "inactive", "suspended"]

    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store
        AuthUserContactRoutes.add(to: &routes, context)
        VerificationRoutes.add(to: &routes, context)
        AuthUserSessionRoutes.add(to: &routes, context)

        routes.on("GET", "/auth/users") { request, access in
            let tenantId = try request.tenantIdQuery()
            try await access.tenant(tenantId, .viewUsers)
            return .list(try await store.usersPage(tenantId: tenantId, try request.pageRequest()))
        }

        routes.on("POST", "/auth/users") { request, access in
            var input = Validator(try request.jsonObject())
            let tenantId = input.string("tenantId", pattern: Format.isId)
            let name = input.optionalString("name", max: 200)
            let email = input.optionalString("email", max: 254, pattern: Format.isEmail, patternMessage: "Invalid email")
            let username = input.optionalString("username", min: 1, max: 64)
            let roleId = input.optionalString("roleId", pattern: Format.isId)
            let phone = input.optionalString("phone", pattern: Format.isPhone,
                                             patternMessage: "must be an E.164 number such as +14155550123")
            let password = input.optionalString("password", min: 6, max: 255)
            let publicMeta = input["publicMeta"], privateMeta = input["privateMeta"]
            try input.check()
            try await access.tenant(tenantId, .editUsers)
            try await checkRole(roleId, tenantId: tenantId, store: store)
            let hash: String? = if let password { await store.passwords.hash(password) } else { nil }
            let json = try await store.createUser(tenantId: tenantId, Store.NewUser(
                name: name, username: username, roleId: roleId, email: email, phone: phone, passwordHash: hash,
                publicMeta: publicMeta, privateMeta: privateMeta),
                locale: request.locale)
            return .json(text: json)
        }

        routes.owned("GET", "/auth/users/:id", .viewUsers, lookup: store.userTenant) { request, access, id, tenantId in
            guard let json = try await store.userJSON(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .envelope(json)
        }

        routes.owned("PUT", "/auth/users/:id", .editUsers, lookup: store.userTenant) { request, access, id, tenantId in
            var input = Validator(try request.jsonObject())
            let name = input.nullableString("name", max: 200)
            let username = input.nullableString("username", min: 1, max: 64)
            var imageUri = input.nullableString("imageUri", max: 2048, pattern: { $0.isEmpty || Format.isURI($0) })
            if case .some(.some("")) = imageUri { imageUri = .some(nil) }
            let roleId = input.nullableString("roleId", pattern: Format.isId)
            let status = input.optionalOneOf("status", statuses)
            let publicMeta = input["publicMeta"], privateMeta = input["privateMeta"]
            try input.check()
            if case .some(.some(let role)) = roleId { try await checkRole(role, tenantId: tenantId, store: store) }
            let changes = Store.UserChanges(name: name, username: username, imageUri: imageUri, roleId: roleId,
                                            status: status, publicMeta: publicMeta,
                                            privateMeta: privateMeta)
            guard let json = try await store.updateUser(id: id, tenantId: tenantId, changes) else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.owned("DELETE", "/auth/users/:id", .editUsers, lookup: store.userTenant) { request, access, id, tenantId in
            guard try await store.deleteUser(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(["id": .string(id)])
        }

        routes.owned("PUT", "/auth/users/:id/change-password", .editUsers, lookup: store.userTenant) { request, access, id, tenantId in
            var input = Validator(try request.jsonObject())
            let password = input.string("password", min: 6, max: 255)
            try input.check()
            let hash = await store.passwords.hash(password)
            guard let json = try await store.setPassword(userId: id, tenantId: tenantId, hash: hash) else {
                throw APIError.notFound
            }
            return .json(text: json)
        }

        for (path, status) in [("suspend", "suspended"), ("unsuspend", "active")] {
            routes.owned("PUT", "/auth/users/:id/\(path)", .editUsers, lookup: store.userTenant) { request, access, id, tenantId in
                guard let json = try await store.setUserStatus(id: id, tenantId: tenantId, status: status) else {
                    throw APIError.notFound
                }
                return .json(text: json)
            }
        }
    }

    /// A role must be one of the tenant's own.
    static func checkRole(_ roleId: String?, tenantId: String, store: Store) async throws {
        guard let roleId else { return }
        guard try await store.roleExists(id: roleId, tenantId: tenantId) else {
            throw APIError.validation(["roleId: no role with this id in the tenant"])
        }
    }
}

extension APIRequest {
    /// The recipient's locale for notifications this request causes:
    /// the first Accept-Language tag, else `en`.
    var locale: String {
        guard let header = header("accept-language") else { return "en" }
        let first = NotificationRoutes.firstLanguage(header)
        return first.isEmpty || first == "*" || first.utf8.count > 35 ? "en" : first
    }

    /// A required `tenantId` in the query string.
    func tenantIdQuery() throws -> String {
        guard let tenantId = query["tenantId"], Format.isId(tenantId) else {
            throw APIError.validation(["tenantId: Required, a tenant id"])
        }
        return tenantId
    }
}
