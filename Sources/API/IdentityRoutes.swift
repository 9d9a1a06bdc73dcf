import JSON
import Store

/// The social providers and JWK certificates operations. A provider's client
/// secret is write-only: only `…/secret` answers it, and only to editors.
enum IdentityRoutes {
    static let providerKeys = ["google", "github", "gitlab", "apple", "facebook"]

    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.on("GET", "/auth/tenant-social-providers") { request, access in
            let tenantId = try queryTenant(request)
            try await access.tenant(tenantId, .viewConfig)
            return .array(try await store.socialProvidersPage(tenantId: tenantId, try request.pageRequest()).items)
        }

        routes.on("POST", "/auth/tenant-social-providers") { request, access in
            var input = Validator(try request.jsonObject())
            let tenantId = input.string("tenantId", pattern: Format.isId)
            var fields = read(&input)
            fields.providerKey = input.oneOf("providerKey", providerKeys)
            if input["enabled"] == nil || input["enabled"]!.isNull { input.fail("enabled: Required") }
            if fields.useCustomCredentials == true {
                if (fields.clientId ?? nil) == nil { input.fail("clientId: Required when useCustomCredentials is true") }
                if (fields.clientSecret ?? nil) == nil { input.fail("clientSecret: Required when useCustomCredentials is true") }
            }
            try input.check()
            try await access.tenant(tenantId, .editConfig)
            return .json(text: try await store.createSocialProvider(tenantId: tenantId, fields))
        }

        routes.owned("GET", "/auth/tenant-social-providers/:id", .viewConfig, lookup: store.socialProviderTenant) { request, access, id, tenantId in
            guard let json = try await store.socialProviderJSON(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: json)
        }

        // The secret in clear is for editors only; none stored answers "".
        routes.owned("GET", "/auth/tenant-social-providers/:id/secret", .editConfig, lookup: store.socialProviderTenant) { request, access, id, tenantId in
            guard let secret = try await store.socialProviderSecret(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(["secret": .string(secret ?? "")])
        }

        routes.owned("PUT", "/auth/tenant-social-providers/:id", .editConfig, lookup: store.socialProviderTenant) { request, access, id, tenantId in
            var input = Validator(try request.jsonObject())
            let fields = read(&input)
            try input.check()
            guard let json = try await store.updateSocialProvider(id: id, tenantId: tenantId, fields) else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.owned("DELETE", "/auth/tenant-social-providers/:id", .editConfig, lookup: store.socialProviderTenant) { request, access, id, tenantId in
            return .json(["deleted": .bool(try await store.deleteSocialProvider(id: id, tenantId: tenantId))])
        }

        routes.on("GET", "/auth/jwk-certificates") { request, access in
            let tenantId = try queryTenant(request)
            try await access.tenant(tenantId, .viewConfig)
            return .array(try await store.jwkCertificates(tenantId: tenantId))
        }
    }

    /// The fields create and update share; absent ones stay nil.
    static func read(_ input: inout Validator) -> Store.SocialProviderFields {
        var f = Store.SocialProviderFields()
        f.enabled = input.optionalBool("enabled")
        f.useCustomCredentials = input.optionalBool("useCustomCredentials")
        f.clientId = input.nullableString("clientId", min: 1, max: 500)
        f.clientSecret = input.nullableString("clientSecret", min: 1, max: 2000)
        f.redirectUri = input.nullableString("redirectUri", min: 1, max: 2000) { $0.hasPrefix("https://") || $0.hasPrefix("http://") }
        if let scopes = input["additionalScopes"] {
            if scopes.isNull {
                f.additionalScopes = .some(nil)
            } else if let list = scopes.arrayValue, list.count <= 100, list.allSatisfy({ $0.stringValue != nil }) {
                f.additionalScopes = .some(scopes)
            } else if let text = scopes.stringValue, text.count <= 2000 {
                f.additionalScopes = .some(.string(text))
            } else {
                input.fail("additionalScopes: Expected an array of scope names")
            }
        }
        return f
    }

    /// `?tenantId=`, required.
    static func queryTenant(_ request: APIRequest) throws -> String {
        guard let tenantId = request.query["tenantId"], Format.isId(tenantId) else {
            throw APIError.validation(["tenantId: Required"])
        }
        return tenantId
    }
}
