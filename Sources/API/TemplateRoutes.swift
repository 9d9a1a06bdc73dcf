import JSON
import Rendering
import Store

/// The NotificationTemplate operations: CRUD, content, versions and restore.
/// Rendering operations (preview, test) are in TemplateRenderRoutes.
enum TemplateRoutes {
    static let types = TemplateType.allCases.map(\.rawValue)
    /// The visual editor's document may be up to 1 MiB.
    static let maxContentBytes = 1 << 20

    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.on("GET", "/tenants/:tenantId/notifications/templates") { request, access in
            let tenantId = try request.id("tenantId")
            try await access.tenant(tenantId, .viewConfig)
            let type = request.query["type"]
            if let type, !types.contains(type) {
                throw APIError.validation(["type: must be one of \(types.joined(separator: ", "))"])
            }
            return .list(try await store.templatesPage(tenantId: tenantId, type: type, try request.pageRequest()))
        }

        routes.on("GET", "/notifications/templates/:id") { request, access in
            guard let found = try await store.templateJSON(id: try request.id()) else { throw APIError.notFound }
            try await access.tenant(found.tenantId, .viewConfig)
            var response = APIResponse.json(text: found.json)
            response.headers.append(APIResponse.etag(found.version))
            return response
        }

        routes.on("POST", "/notifications/templates") { request, access in
            try await create(request, access, store, pathTenantId: nil)
        }

        // The pxyz client creates under the tenant's path; the body's tenantId may be left out.
        routes.on("POST", "/tenants/:tenantId/notifications/templates") { request, access in
            try await create(request, access, store, pathTenantId: try request.id("tenantId"))
        }

        routes.owned("PUT", "/notifications/templates/:id", .editConfig, lookup: store.templateTenant) { request, access, id, tenantId in
            let expected = try request.ifMatchVersion()
            var input = Validator(try request.jsonObject())
            let name = input.optionalString("name", min: 1, max: 200)
            let subject = input.nullableString("subject", max: 998)
            let body = input["body"].flatMap { $0.isNull ? nil : $0 }
            try input.check()
            guard let current = try await store.template(id: id, tenantId: tenantId) else { throw APIError.notFound }
            var bodyText: String?
            if body != nil || subject != nil {
                let normalized = try body.map { TemplateRendering.normalizedBody($0, type: current.type) }
                    ?? JSONParser.parse(current.body)
                _ = try TemplateRendering.compile(type: current.type, subject: subject ?? current.subject, body: normalized)
                if body != nil { bodyText = normalized.jsonString }
            }
            return try outcome(await store.updateTemplate(id: id, tenantId: tenantId, name: name, subject: subject,
                                                          body: bodyText, expectedVersion: expected))
        }

        routes.owned("DELETE", "/notifications/templates/:id", .editConfig, lookup: store.templateTenant) { request, access, id, tenantId in
            let force: Bool
            switch request.query["force"] {
            case nil, "false": force = false
            case "true": force = true
            default: throw APIError.validation(["force: must be true or false"])
            }
            // Deleting a partial or layout would break the templates using it at send time.
            if !force, let template = try await store.template(id: id, tenantId: tenantId) {
                let users = try await TemplateStudioRoutes.dependents(of: template, store: store)
                if !users.isEmpty {
                    var error = APIError(.conflict, "Other templates use \(template.name) as a partial or layout; "
                                         + "delete with ?force=true to delete it anyway",
                                         issues: users.map { "used by \($0.name) (\($0.type))" })
                    error.extra["usedBy"] = .array(users.map(TemplateStudioRoutes.dependentJSON))
                    throw error
                }
            }
            return .json(["deleted": .bool(try await store.deleteTemplate(id: id, tenantId: tenantId))])
        }

        routes.owned("GET", "/notifications/templates/:id/content", .viewConfig, lookup: store.templateTenant) { request, access, id, tenantId in
            guard let found = try await store.templateContent(id: id, tenantId: tenantId) else { throw APIError.notFound }
            var response = APIResponse.json(text: found.json)
            response.headers.append(APIResponse.etag(found.version))
            return response
        }

        routes.owned("PUT", "/notifications/templates/:id/content", .editConfig, lookup: store.templateTenant) { request, access, id, tenantId in
            let expected = try request.ifMatchVersion()
            guard request.body.count <= maxContentBytes else {
                throw APIError(.payloadTooLarge, "The content document may be at most 1 MiB")
            }
            let document = try request.jsonObject()
            var issues: [String] = document.keys.filter { !["assets", "pages", "styles"].contains($0) }
                .map { "\(Validator.displayKey($0)): Unrecognized key" }
            for key in ["assets", "pages", "styles"] {
                guard let value = document[key] else { continue }
                if value.arrayValue?.allSatisfy({ $0.objectValue != nil }) != true {
                    issues.append("\(key): Expected an array of objects")
                }
            }
            if !issues.isEmpty { throw APIError.validation(issues) }
            let text = JSONValue.object(document).jsonString
            switch try await store.updateTemplate(id: id, tenantId: tenantId, name: nil, subject: nil, body: nil,
                                                   content: text, expectedVersion: expected) {
            case .updated(_, let version):
                var response = APIResponse.json(text: text)
                response.headers.append(APIResponse.etag(version))
                return response
            case let other:
                return try outcome(other)
            }
        }

        routes.owned("GET", "/notifications/templates/:id/versions", .viewConfig, lookup: store.templateTenant) { request, access, id, tenantId in
            guard let versions = try await store.templateVersions(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return APIResponse(body: Array((#"{"status":"success","data":["# + versions.joined(separator: ",") + "]}").utf8))
        }

        routes.owned("POST", "/notifications/templates/:id/versions/:version/restore", .editConfig,
                     lookup: store.templateTenant) { request, access, id, tenantId in
            guard let version = request.parameters["version"].flatMap(Int.init), version > 0 else { throw APIError.notFound }
            return try outcome(await store.restoreTemplateVersion(id: id, tenantId: tenantId, version: version))
        }

        routes.on("POST", "/notifications/templates/clone-all-to-tenant") { request, access in
            var input = Validator(try request.jsonObject())
            let from = input.string("fromTenantId", pattern: Format.isId)
            let to = input.string("toTenantId", pattern: Format.isId)
            try input.check()
            guard from != to else { throw APIError.validation(["toTenantId: must differ from fromTenantId"]) }
            // The caller must hold both tenants.
            try await access.tenant(from, .viewConfig)
            try await access.tenant(to, .editConfig)
            let result = try await store.cloneAllTemplates(from: from, to: to, logger: context.logger)
            return .json(["successes": .array(result.successes.map { .string($0) }),
                          "failures": .array(result.failures.map { .string($0) })])
        }
    }

    /// Creates a template; with `pathTenantId` the body's tenantId is optional
    /// and, when given, must name the same tenant.
    static func create(_ request: APIRequest, _ access: Access, _ store: Store, pathTenantId: String?) async throws -> APIResponse {
        var input = Validator(try request.jsonObject())
        let bodyTenantId = pathTenantId == nil ? nil : input.optionalString("tenantId", pattern: Format.isId)
        let tenantId = pathTenantId ?? input.string("tenantId", pattern: Format.isId)
        if let given = bodyTenantId, given != tenantId { input.fail("tenantId: must match the tenant in the path") }
        let type = input.oneOf("type", types)
        let name = input.string("name", min: 1, max: 200)
        let subject = input.optionalString("subject", max: 998)
        let body = input.value("body")
        // A tenant named anywhere must be the caller's: another tenant in the body is 404, not a 400 that confirms it.
        if let bodyTenantId, bodyTenantId != tenantId { try await access.tenant(bodyTenantId) }
        try input.check()
        try await access.tenant(tenantId, .editConfig)
        let normalized = TemplateRendering.normalizedBody(body, type: type)
        _ = try TemplateRendering.compile(type: type, subject: subject, body: normalized)
        let json = try await store.createTemplate(tenantId: tenantId, Store.TemplateSeed(
            name: name, type: type, subject: subject, body: normalized.jsonString))
        return .json(text: json)
    }

    static func outcome(_ update: Store.TemplateUpdate) throws -> APIResponse {
        switch update {
        case .updated(let json, let version):
            var response = APIResponse.json(text: json)
            response.headers.append(APIResponse.etag(version))
            return response
        case .notFound, .noSuchVersion:
            throw APIError.notFound
        case .versionMismatch(let current):
            throw APIError(.preconditionFailed, "The template changed since you read it: its version is now \(current)")
        }
    }
}
