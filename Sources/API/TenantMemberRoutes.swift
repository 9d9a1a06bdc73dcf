import JSON
import Store

/// The tenant members and invitations (platform routes, bearer tokens only):
/// admins change them, members read them. Billing lives in BillingRoutes.swift
/// and the invitee's side in PlatformUserRoutes.swift.
enum TenantMemberRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.on("PATCH", "/tenants/members/:id") { request, access in
            let id = try request.id()
            let tenantId = try await platformOwner(of: id, .admin, access, lookup: store.memberTenant)
            let flags = try roleFlags(try request.jsonObject())
            return try answer(try await store.updateMember(id: id, tenantId: tenantId, flags: flags))
        }

        routes.on("DELETE", "/tenants/members/:id") { request, access in
            let id = try request.id()
            let userId = try access.platformUser()
            // Admins remove anyone; any member may leave by removing themselves.
            let own = try await store.memberUserId(id) == userId
            let tenantId = try await platformOwner(of: id, own ? [] : .admin, access, lookup: store.memberTenant)
            return try answer(try await store.deleteMember(id: id, tenantId: tenantId))
        }

        routes.on("POST", "/tenants/members/invite") { request, access in
            let inviterId = try access.platformUser()
            let body = try request.jsonObject()
            var input = Validator(body)
            let tenantId = input.string("tenantId", pattern: Format.isId)
            let email = input.string("email", max: 254, pattern: Format.isEmail, patternMessage: "must be an email address")
            let flags = roleFlags(body, &input)
            try input.check()
            try await access.platformTenant(tenantId, .admin)
            let locale = request.header("accept-language").map(NotificationRoutes.firstLanguage).flatMap(languageTag) ?? "en"
            let outcome = try await store.inviteMember(Store.NewTenantInvitation(
                tenantId: tenantId, email: email, flags: flags, inviterId: inviterId, locale: locale,
                publicURL: context.publicURL))
            switch outcome {
            case .created(let json, _): return .json(text: json)
            case .alreadyMember: throw APIError(.conflict, "This address already belongs to a member of the tenant")
            }
        }

        routes.on("GET", "/tenants/:tenantId/invitations") { request, access in
            let tenantId = try request.id("tenantId")
            try await access.platformTenant(tenantId)
            return .list(try await store.tenantInvitationsPage(tenantId: tenantId, try request.pageRequest()))
        }

        routes.on("PATCH", "/tenants/invitations/:id") { request, access in
            let id = try request.id()
            let tenantId = try await platformOwner(of: id, .admin, access, lookup: store.invitationTenant)
            let flags = try roleFlags(try request.jsonObject())
            guard let json = try await store.updateInvitation(id: id, tenantId: tenantId, flags: flags) else {
                throw APIError.notFound
            }
            return .json(text: json)
        }

        routes.on("DELETE", "/tenants/invitations/:id") { request, access in
            let id = try request.id()
            let tenantId = try await platformOwner(of: id, .admin, access, lookup: store.invitationTenant)
            return .json(.bool(try await store.deleteInvitation(id: id, tenantId: tenantId)))
        }

        BillingRoutes.add(to: &routes, context)
    }

    /// `access.owner` for platform routes: tenant key pairs get 401.
    static func platformOwner(of id: String, _ roles: MemberRoles, _ access: Access,
                              lookup: (String) async throws -> String?) async throws -> String {
        _ = try access.platformUser()
        return try await access.owner(of: id, roles, lookup: lookup)
    }

    /// The role flags present in `body`, in Store.roleFields order.
    static func roleFlags(_ body: JSONObject, _ input: inout Validator) -> Store.RoleFlagValues {
        Store.roleFields.map { input.optionalBool($0.name) }
    }

    static func roleFlags(_ body: JSONObject) throws -> Store.RoleFlagValues {
        var input = Validator(body)
        let flags = roleFlags(body, &input)
        try input.check()
        return flags
    }

    /// A language tag (`de`, `de-AT`, `zh-Hant-TW`); `*` or anything else is no preference.
    static func languageTag(_ value: String) -> String? {
        guard let first = value.first, first.isLetter, value.count <= 35,
              value.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }) else { return nil }
        return value
    }

    private static func answer(_ change: Store.MemberChange) throws -> APIResponse {
        switch change {
        case .done(let json): return .json(text: json)
        case .notFound: throw APIError.notFound
        case .lastAdmin: throw APIError(.conflict, "A tenant needs at least one admin")
        }
    }
}
