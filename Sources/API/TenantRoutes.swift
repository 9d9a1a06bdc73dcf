import JSON
import Store

/// Tenants (platform routes, bearer tokens only) and their settings under
/// `/auth/tenants` (tenant keys or members).
enum TenantRoutes {
    static let environments = ["development", "staging", "production"]

    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.on("POST", "/tenants") { request, access in
            let userId = try access.platformUser()
            var input = Validator(try request.jsonObject())
            let name = input.string("name", min: 4, max: 32)
            let slug = input.optionalString("slug", min: 4, max: 32, pattern: Format.isSlug,
                                            patternMessage: "may contain only lower-case letters, digits and hyphens")
            let environment = input.oneOf("environment", environments)
            let orgId = input.optionalString("orgId", pattern: Format.isId)
            let domain = input.optionalString("domain", max: 253, pattern: Format.isDomain)
            try input.check()
            let created = try await store.createTenant(
                Store.NewTenant(name: name, slug: slug, environment: environment, orgId: orgId, domain: domain),
                creatorId: userId, seed: context.tenantSeed)
            return .json(text: created.json)
        }

        routes.on("GET", "/tenants") { _, access in
            .array(try await store.tenantsJSON(memberId: try access.platformUser()))
        }

        routes.on("GET", "/tenants/slug/:slug") { request, access in
            try await found(store.tenant(.slug(request.parameters["slug"] ?? "")), access)
        }

        routes.on("GET", "/tenants/pkey/:publicKey") { request, access in
            try await found(store.tenant(.publicKey(request.parameters["publicKey"] ?? "")), access)
        }

        routes.on("GET", "/tenants/:id") { request, access in
            try await found(store.tenant(.id(try request.id())), access)
        }

        routes.on("PUT", "/tenants/:id") { request, access in
            let id = try request.id()
            try await access.platformTenant(id, .editConfig)
            var input = Validator(try request.jsonObject())
            let name = input.nullableString("name", min: 4, max: 32)
            let slug = input.nullableString("slug", min: 4, max: 32, pattern: Format.isSlug)
            let logoId = input.nullableString("logoId", pattern: Format.isId)
            let iconId = input.nullableString("iconId", pattern: Format.isId)
            try input.check()
            guard let json = try await store.updateTenant(id: id, name: name ?? nil, slug: slug ?? nil,
                                                          logoId: logoId, iconId: iconId)
            else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.on("DELETE", "/tenants/:id") { request, access in
            let id = try request.id()
            try await access.platformTenant(id, .admin)
            let deleted = try await store.deleteTenant(id: id)
            context.authenticator.forget(tenantId: id)
            return .json(.bool(deleted))
        }

        routes.on("POST", "/tenants/:id/rotate-secret-key") { request, access in
            let id = try request.id()
            try await access.platformTenant(id, .admin)
            guard try await store.rotateSecretKey(tenantId: id) else { throw APIError.notFound }
            context.authenticator.forget(tenantId: id)
            return .success
        }

        routes.on("GET", "/tenants/:id/brand") { request, access in
            let id = try request.id()
            try await access.platformTenant(id, .viewConfig)
            guard let brand = try await store.brandJSON(tenantId: id) else { throw APIError.notFound }
            return .json(text: brand)
        }

        routes.on("PUT", "/tenants/:id/brand") { request, access in
            let id = try request.id()
            try await access.platformTenant(id, .editConfig)
            let body = try request.jsonObject()
            var changes = JSONObject()
            var issues: [String] = body.keys.filter { !Brand.names.contains($0) }
                .map { "\(Validator.displayKey($0)): Unrecognized key" }
            for name in Brand.names {
                guard let value = body[name] else { continue }
                if let string = value.stringValue, string.utf8.count <= 200 {
                    changes[name] = .string(string)
                } else {
                    issues.append("\(name): Expected a string of at most 200 characters")
                }
            }
            if !issues.isEmpty { throw APIError.validation(issues) }
            guard let brand = try await store.updateBrand(tenantId: id, changes: changes) else { throw APIError.notFound }
            return .json(text: brand)
        }

        routes.on("GET", "/tenants/:tenantId/members") { request, access in
            let id = try request.id("tenantId")
            try await access.platformTenant(id)
            return .list(try await store.tenantMembersPage(tenantId: id, try request.pageRequest()))
        }

        routes.on("GET", "/auth/tenants/:id/env") { request, access in
            let id = try request.id()
            try await access.tenant(id, .viewConfig)
            guard let env = try await store.tenantEnvironment(id: id) else { throw APIError.notFound }
            let domain = env.domain ?? hostName(of: context.publicURL)
            return .json(["PXYZ_PUBLIC_KEY": .string(env.publicKey), "PXYZ_SECRET_KEY": .string(env.secretKey),
                          "PXYZ_DOMAIN": .string(domain)])
        }

        // The tenant of the calling key pair: a key pair alone does not say
        // which tenant it is, and the template studio signs in with one.
        routes.on("GET", "/auth/tenants/current") { _, access in
            guard case .tenant(let id) = access.principal else {
                throw APIError(.badRequest, "Only a tenant key pair has a current tenant; with a token, list GET /tenants")
            }
            guard let tenant = try await store.tenant(.id(id)) else { throw APIError.notFound }
            return .json(text: tenant.json)
        }

        routes.on("GET", "/auth/tenants/:id") { request, access in
            let id = try request.id()
            try await access.tenant(id, .viewConfig)
            guard let json = try await store.authTenantJSON(id: id) else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.on("PUT", "/auth/tenants/:id") { request, access in
            try await updateSettings(request, access, store, only: nil)
        }

        routes.on("PUT", "/auth/tenants/:id/session") { request, access in
            try await updateSettings(request, access, store, only: AuthSettingsFields.sessionKeys)
        }
    }

    /// A tenant found by some key, answered only to its members.
    private static func found(_ tenant: (id: String, json: String)?, _ access: Access) async throws -> APIResponse {
        guard let tenant else { throw APIError.notFound }
        try await access.platformTenant(tenant.id)
        return .json(text: tenant.json)
    }

    /// Validates an AuthSettings change: known keys with the right types, and
    /// references to the tenant's own channels and templates.
    private static func updateSettings(_ request: APIRequest, _ access: Access, _ store: Store,
                                       only allowed: Set<String>?) async throws -> APIResponse {
        let id = try request.id()
        try await access.tenant(id, .editConfig)
        let body = try request.jsonObject()
        var document = JSONObject()
        let known = Set(AuthSettingsFields.documentKeys.map(\.name) + (allowed == nil ? AuthSettingsFields.references.map(\.name) : []))
        var issues: [String] = body.keys.filter { !known.contains($0) || !(allowed?.contains($0) ?? true) }
            .map { "\(Validator.displayKey($0)): Unrecognized key" }
        for field in AuthSettingsFields.documentKeys where allowed?.contains(field.name) ?? true {
            guard let value = body[field.name] else { continue }
            switch field.kind {
            case .bool:
                if value.boolValue == nil { issues.append("\(field.name): Expected boolean") }
            case .integer:
                if let int = value.intValue, int >= 0 {} else { issues.append("\(field.name): Expected a non-negative integer") }
            case .string:
                if !(value.isNull || (value.stringValue.map { $0.utf8.count <= 2048 } ?? false)) {
                    issues.append("\(field.name): Expected a string of at most 2048 characters")
                }
            }
            document[field.name] = value
        }
        var references: [(column: String, value: String?)] = []
        if allowed == nil {
            for reference in AuthSettingsFields.references {
                guard let value = body[reference.name] else { continue }
                if value.isNull {
                    references.append((reference.column, nil))
                } else if let target = value.stringValue, Format.isId(target),
                          try await store.tenantOwns(table: reference.table, id: target, tenantId: id) {
                    references.append((reference.column, target))
                } else {
                    issues.append("\(reference.name): must name one of this tenant's \(reference.table == "channels" ? "channels" : "templates")")
                }
            }
        }
        if !issues.isEmpty { throw APIError.validation(issues) }
        guard let json = try await store.updateAuthSettings(tenantId: id, document: document, references: references)
        else { throw APIError.notFound }
        return .json(text: json)
    }

    static func hostName(of url: String) -> String {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        return String(rest.prefix { $0 != "/" && $0 != ":" })
    }
}
