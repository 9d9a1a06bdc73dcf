import JSON
import Store

/// Email addresses and phone numbers: lists, get, create, update (email only,
/// as the contract has it), delete and make-primary. Both kinds share the
/// handlers; what differs is the path, the field and its format.
enum AuthUserContactRoutes {
    static func path(_ kind: Store.ContactKind) -> String { kind == .email ? "email-addresses" : "phone-numbers" }

    /// The kind's field, checked: emails as addresses, phones in E.164.
    /// The address of `kind`; a required one is never nil (an empty stand-in once the issue is recorded).
    static func value(_ kind: Store.ContactKind, _ input: inout Validator, required: Bool) -> String? {
        switch kind {
        case .email:
            return required
                ? input.string("email", max: 254, pattern: Format.isEmail, patternMessage: "Invalid email")
                : input.optionalString("email", max: 254, pattern: Format.isEmail, patternMessage: "Invalid email")
        case .phone:
            return input.string("phone", pattern: Format.isPhone, patternMessage: "must be an E.164 number such as +14155550123")
        }
    }

    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store
        for kind in Store.ContactKind.allCases {
            let base = path(kind)
            let lookup: @Sendable (String) async throws -> String? = { try await store.contactTenant(kind, id: $0) }

            routes.on("GET", "/tenants/:tenantId/auth/\(base)") { request, access in
                let tenantId = try request.id("tenantId")
                try await access.tenant(tenantId, .viewUsers)
                return .list(try await store.contactsPage(kind, tenantId: tenantId, try request.pageRequest()))
            }

            routes.owned("GET", "/auth/users/:userId/\(base)", .viewUsers, id: "userId", lookup: store.userTenant) { request, access, userId, tenantId in
                return .list(try await store.contactsPage(kind, userId: userId, tenantId: tenantId, try request.pageRequest()))
            }

            routes.owned("GET", "/auth/\(base)/:id", .viewUsers, lookup: lookup) { request, access, id, tenantId in
                guard let json = try await store.contactJSON(kind, id: id, tenantId: tenantId) else { throw APIError.notFound }
                return .json(text: json)
            }

            routes.on("POST", "/auth/\(base)") { request, access in
                var input = Validator(try request.jsonObject())
                let tenantId = input.string("tenantId", pattern: Format.isId)
                let userId = input.string("userId", pattern: Format.isId)
                let value = value(kind, &input, required: true)
                try input.check()
                try await access.tenant(tenantId, .editUsers)
                guard let json = try await store.createContact(kind, tenantId: tenantId, userId: userId, value: value ?? "",
                                                               locale: request.locale)
                else { throw APIError.notFound }
                return .json(text: json)
            }

            routes.on("DELETE", "/auth/\(base)") { request, access in
                guard let id = request.query["id"], Format.isId(id) else {
                    throw APIError.validation(["id: Required, an id in the query string"])
                }
                let tenantId = try await access.owner(of: id, .editUsers, lookup: lookup)
                switch try await store.deleteContact(kind, id: id, tenantId: tenantId) {
                case .deleted: return .json(["deleted": true])
                case .notFound: throw APIError.notFound
                case .primaryWithOthers:
                    throw APIError(.badRequest, "This is the user's primary \(kind == .email ? "email address" : "phone number"); "
                                   + "make another one primary before deleting it")
                }
            }

            routes.on("POST", "/auth/\(base)/make-primary") { request, access in
                let id = try bodyId(request)
                let tenantId = try await access.owner(of: id, .editUsers, lookup: lookup)
                switch try await store.makePrimary(kind, id: id, tenantId: tenantId) {
                case .done(let json): return .json(text: json)
                case .notFound: throw APIError.notFound
                case .noUser: throw APIError(.badRequest, "This \(kind == .email ? "email address" : "phone number") belongs to no user")
                }
            }
        }

        routes.on("PUT", "/auth/email-addresses") { request, access in
            var input = Validator(try request.jsonObject())
            let id = input.string("id", pattern: Format.isId)
            let email = value(.email, &input, required: false)
            try input.check()
            let tenantId = try await access.owner(of: id, .editUsers, lookup: { try await store.contactTenant(.email, id: $0) })
            guard let json = try await store.updateEmailAddress(id: id, tenantId: tenantId, email: email, locale: request.locale)
            else { throw APIError.notFound }
            return .json(text: json)
        }
    }

    /// The `id` of a `{id}` body.
    static func bodyId(_ request: APIRequest) throws -> String {
        var input = Validator(try request.jsonObject())
        let id = input.string("id", pattern: Format.isId)
        try input.check()
        return id
    }
}
