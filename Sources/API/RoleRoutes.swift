import JSON
import Store

/// Roles of a tenant's users and organization members, with `_count`.
/// Registered from `OrganizationRoutes.add`.
enum RoleRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.on("GET", "/auth/tenants/:tenantId/roles") { request, access in
            let tenantId = try request.id("tenantId")
            try await access.tenant(tenantId, .viewOrganizations)
            return .list(try await store.rolesPage(tenantId: tenantId, try request.pageRequest()))
        }

        routes.owned("GET", "/auth/roles/:id", .viewOrganizations, lookup: store.roleTenant) { request, access, id, tenantId in
            guard let json = try await store.roleJSON(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.on("POST", "/auth/roles") { request, access in
            var input = Validator(try request.jsonObject())
            let tenantId = input.string("tenantId", pattern: Format.isId)
            let name = input.string("name", min: 1, max: 100)
            let description = input.optionalString("description", max: 1000)
            let permissions = Self.permissions(&input)
            try input.check()
            try await access.tenant(tenantId, .editOrganizations)
            return .json(text: try await store.createRole(tenantId: tenantId, name: name, description: description,
                                                          permissions: permissions ?? []))
        }

        routes.owned("PUT", "/auth/roles/:id", .editOrganizations, lookup: store.roleTenant) { request, access, id, tenantId in
            var input = Validator(try request.jsonObject())
            let name = input.optionalString("name", min: 1, max: 100)
            let description = input.nullableString("description", max: 1000)
            let permissions = Self.permissions(&input)
            // A role does not move between tenants.
            if let named = input.optionalString("tenantId", pattern: Format.isId), named != tenantId {
                input.fail("tenantId: must be the role's tenant")
            }
            try input.check()
            guard let json = try await store.updateRole(id: id, tenantId: tenantId, name: name, description: description,
                                                        permissions: permissions)
            else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.owned("DELETE", "/auth/roles/:id", .editOrganizations, lookup: store.roleTenant) { request, access, id, tenantId in
            guard let json = try await store.deleteRole(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: json)
        }
    }

    /// An optional array of permission names (non-empty strings, at most 200).
    static func permissions(_ input: inout Validator) -> [String]? {
        guard let value = input["permissions"], !value.isNull else { return nil }
        guard let items = value.arrayValue, items.count <= 200 else {
            input.fail("permissions: Expected an array of at most 200 strings")
            return nil
        }
        var names: [String] = []
        for (index, item) in items.enumerated() {
            guard let name = item.stringValue, !name.isEmpty, name.count <= 200 else {
                input.fail("permissions.\(index): Expected a string of 1 to 200 characters")
                continue
            }
            names.append(name)
        }
        return names
    }
}
