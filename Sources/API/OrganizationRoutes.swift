import JSON
import Store

/// Organizations and their memberships; invitations and roles are added from
/// their own files. Organizations, members, invitations and roles need the
/// organization role flags of a bearer-token member.
enum OrganizationRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store
        addOrganizations(to: &routes, store)
        addMemberships(to: &routes, store)
        OrganizationInvitationRoutes.add(to: &routes, context)
        RoleRoutes.add(to: &routes, context)
    }

    static func addOrganizations(to routes: inout RouteBuilder, _ store: Store) {
        routes.on("GET", "/tenants/:tenantId/auth/organizations") { request, access in
            let tenantId = try request.id("tenantId")
            try await access.tenant(tenantId, .viewOrganizations)
            return .list(try await store.organizationsPage(tenantId: tenantId, try request.pageRequest()))
        }

        routes.owned("GET", "/auth/organizations/:id", .viewOrganizations, lookup: store.organizationTenant) { request, access, id, tenantId in
            guard let json = try await store.organizationJSON(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.on("POST", "/auth/organizations") { request, access in
            var input = Validator(try request.jsonObject())
            let tenantId = input.string("tenantId", pattern: Format.isId)
            var fields = organizationFields(&input, creating: true)
            try input.check()
            try await access.tenant(tenantId, .editOrganizations)
            fields.imageUri = fields.imageUri.map { $0 == "" ? nil : $0 }
            return .json(text: try await store.createOrganization(tenantId: tenantId, fields))
        }

        routes.owned("PUT", "/auth/organizations/:id", .editOrganizations, lookup: store.organizationTenant) { request, access, id, tenantId in
            var input = Validator(try request.jsonObject())
            var fields = organizationFields(&input, creating: false)
            try input.check()
            fields.imageUri = fields.imageUri.map { $0 == "" ? nil : $0 }
            guard let json = try await store.updateOrganization(id: id, tenantId: tenantId, fields) else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.owned("DELETE", "/auth/organizations/:id", .editOrganizations, lookup: store.organizationTenant) { request, access, id, tenantId in
            guard let json = try await store.deleteOrganization(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: json)
        }
    }

    /// The organization fields both create and update take; `""` as imageUri clears it.
    static func organizationFields(_ input: inout Validator, creating: Bool) -> Store.OrganizationFields {
        var fields = Store.OrganizationFields()
        fields.name = creating ? input.string("name", min: 1, max: 256) : input.optionalString("name", min: 1, max: 256)
        fields.slug = input.optionalString("slug", min: 1, max: 64, pattern: Format.isSlug,
                                           patternMessage: "may contain only lower-case letters, digits and hyphens")
        fields.imageUri = input.nullableString("imageUri", max: 2048, pattern: { $0.isEmpty || Format.isURI($0) })
        fields.publicMeta = input["publicMeta"]
        fields.privateMeta = input["privateMeta"]
        return fields
    }

    static func addMemberships(to routes: inout RouteBuilder, _ store: Store) {
        routes.owned("GET", "/organizations/:organizationId/auth/organization-members", .viewOrganizations, id: "organizationId", lookup: store.organizationTenant) { request, access, organizationId, _ in
            return .list(try await store.orgMembershipsPage(organizationId: organizationId, try request.pageRequest()))
        }

        routes.owned("GET", "/auth/organization-members/:id", .viewOrganizations, lookup: store.orgMembershipTenant) { request, access, id, tenantId in
            guard let json = try await store.orgMembershipJSON(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.on("POST", "/auth/organization-members") { request, access in
            var input = Validator(try request.jsonObject())
            let organizationId = input.string("organizationId", pattern: Format.isId)
            let userId = input.string("userId", pattern: Format.isId)
            let roleId = input.optionalString("roleId", pattern: Format.isId)
            let publicMeta = input["publicMeta"], privateMeta = input["privateMeta"]
            try input.check()
            // The organization decides the tenant: another tenant's is 404 like any of its resources.
            let tenantId = try await access.owner(of: organizationId, .editOrganizations, lookup: store.organizationTenant)
            return .json(text: try await refusingForeignRows {
                try await store.orgCreateMembership(tenantId: tenantId, organizationId: organizationId, userId: userId,
                                                 roleId: roleId, publicMeta: publicMeta,
                                                 privateMeta: privateMeta)
            })
        }

        routes.owned("PUT", "/auth/organization-members/:id", .editOrganizations, lookup: store.orgMembershipTenant) { request, access, id, tenantId in
            var input = Validator(try request.jsonObject())
            let roleId = input.nullableString("roleId", pattern: Format.isId)
            let publicMeta = input["publicMeta"], privateMeta = input["privateMeta"]
            try input.check()
            let json = try await refusingForeignRows {
                try await store.orgUpdateMembership(id: id, tenantId: tenantId, roleId: roleId,
                                                 publicMeta: publicMeta.map { Optional($0) },
                                                 privateMeta: privateMeta.map { Optional($0) })
            }
            guard let json else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.owned("DELETE", "/auth/organization-members/:id", .editOrganizations, lookup: store.orgMembershipTenant) { request, access, id, tenantId in
            guard let json = try await store.orgDeleteMembership(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: json)
        }
    }

    /// Ids in a body that name no row of the tenant are the client's mistake: 400.
    static func refusingForeignRows<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as InvalidReference {
            throw APIError.validation(error.issues)
        }
    }
}
