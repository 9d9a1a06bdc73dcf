import JSON
import Rendering
import Store

/// What the template studio needs beyond the contract: sample data per
/// template, drafts that no send sees until published, and which templates
/// use a template as their partial or layout.
enum TemplateStudioRoutes {
    /// Sample data is a JSON object of at most 64 KiB, encoded.
    static let maxSampleBytes = 64 << 10

    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.owned("GET", "/notifications/templates/:id/sample", .viewConfig, lookup: store.templateTenant) { _, _, id, tenantId in
            guard let sample = try await store.templateSample(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .envelope(sample)
        }

        routes.owned("PUT", "/notifications/templates/:id/sample", .editConfig, lookup: store.templateTenant) { request, _, id, tenantId in
            var input = Validator(try request.jsonObject())
            let data = input.object("data")
            try input.check()
            let text = JSONValue.object(data).jsonString
            guard text.utf8.count <= maxSampleBytes else {
                throw APIError.validation(["data: must be at most 64 KiB as JSON (it is \(text.utf8.count) bytes)"])
            }
            guard let saved = try await store.setTemplateSample(id: id, tenantId: tenantId, json: text) else {
                throw APIError.notFound
            }
            return .envelope(saved)
        }

        routes.owned("GET", "/notifications/templates/:id/draft", .viewConfig, lookup: store.templateTenant) { _, _, id, tenantId in
            guard let template = try await store.template(id: id, tenantId: tenantId) else { throw APIError.notFound }
            let draft = try await store.templateDraft(id: id, tenantId: tenantId)
            return .json(["status": "success", "data": try draft.map { try draftJSON($0, type: template.type) } ?? .null])
        }

        routes.owned("PUT", "/notifications/templates/:id/draft", .editConfig, lookup: store.templateTenant) { request, _, id, tenantId in
            var input = Validator(try request.jsonObject())
            let subject = input.nullableString("subject", max: 998)
            let body = input["body"].flatMap { $0.isNull ? nil : $0 }
            let content = input.optionalObject("content")
            if let content { checkContent(content, into: &input) }
            try input.check()
            guard let template = try await store.template(id: id, tenantId: tenantId) else { throw APIError.notFound }
            let bodyText = body.map { TemplateRendering.normalizedBody($0, type: template.type).jsonString }
            let contentText = content.map { JSONValue.object($0).jsonString }
            if let contentText, contentText.utf8.count > TemplateRoutes.maxContentBytes {
                throw APIError(.payloadTooLarge, "The content document may be at most 1 MiB")
            }
            // Saved even when it does not compile: the answer's issues say where.
            guard let draft = try await store.saveTemplateDraft(id: id, tenantId: tenantId, subject: subject,
                                                                body: bodyText, content: contentText) else {
                throw APIError.notFound
            }
            return .json(["status": "success", "data": try draftJSON(draft, type: template.type)])
        }

        routes.owned("DELETE", "/notifications/templates/:id/draft", .editConfig, lookup: store.templateTenant) { _, _, id, tenantId in
            .json(["deleted": .bool(try await store.deleteTemplateDraft(id: id, tenantId: tenantId))])
        }

        routes.owned("POST", "/notifications/templates/:id/publish", .editConfig, lookup: store.templateTenant) { request, _, id, tenantId in
            let expected = try request.ifMatchVersion()
            guard let template = try await store.template(id: id, tenantId: tenantId) else { throw APIError.notFound }
            guard let draft = try await store.templateDraft(id: id, tenantId: tenantId) else {
                throw APIError(.notFound, "The template has no draft to publish")
            }
            _ = try TemplateRendering.compile(type: template.type, subject: draft.subject, body: try JSONParser.parse(draft.body))
            switch try await store.publishTemplateDraft(id: id, tenantId: tenantId, draft, expectedVersion: expected) {
            case .published(let json, let version):
                var response = APIResponse.json(text: json)
                response.headers.append(APIResponse.etag(version))
                return response
            case .notFound:
                throw APIError.notFound
            case .noDraft:
                throw APIError(.notFound, "The template has no draft to publish")
            case .versionMismatch(let current):
                throw APIError(.preconditionFailed, "The template changed since you read it: its version is now \(current)")
            case .draftChanged:
                throw APIError(.conflict, "The draft changed while it was being published; publish again")
            }
        }

        routes.owned("GET", "/notifications/templates/:id/dependents", .viewConfig, lookup: store.templateTenant) { _, _, id, tenantId in
            guard let template = try await store.template(id: id, tenantId: tenantId) else { throw APIError.notFound }
            let users = try await dependents(of: template, store: store)
            return .json(["status": "success", "data": .array(users.map(dependentJSON))])
        }
    }

    /// `{subject, body, content, baseVersion, updatedAt, issues}`; `issues`
    /// lists what keeps the draft from compiling, empty when it would publish.
    static func draftJSON(_ draft: Store.TemplateDraft, type: String) throws -> JSONValue {
        let body = try JSONParser.parse(draft.body)
        var issues: JSONValue = []
        do {
            _ = try TemplateRendering.compile(type: type, subject: draft.subject, body: body)
        } catch let error as APIError {
            issues = TemplateRendering.issuesJSON(error)
        }
        return ["subject": draft.subject.map(JSONValue.string) ?? .null, "body": body,
                "content": try draft.content.map { try JSONParser.parse($0) } ?? .null,
                "baseVersion": .int(Int64(draft.baseVersion)), "updatedAt": .string(draft.updatedAt), "issues": issues]
    }

    /// The visual editor's document: `assets`, `pages`, `styles`, each an array of objects.
    static func checkContent(_ document: JSONObject, into input: inout Validator) {
        for key in document.keys where !["assets", "pages", "styles"].contains(key) {
            input.fail("content.\(Validator.displayKey(key)): Unrecognized key")
        }
        for key in ["assets", "pages", "styles"] {
            guard let value = document[key] else { continue }
            if value.arrayValue?.allSatisfy({ $0.objectValue != nil }) != true {
                input.fail("content.\(key): Expected an array of objects")
            }
        }
    }

    /// The tenant's other templates that use `template`'s name as a partial
    /// or layout. Templates that do not compile are left out: they break at
    /// send time whatever happens to this one.
    static func dependents(of template: Store.StoredTemplate, store: Store) async throws -> [Store.StoredTemplate] {
        try await store.templatesMentioning(template.name, tenantId: template.tenantId, except: template.id).filter { other in
            guard let compiled = try? TemplateRendering.compile(other) else { return false }
            return compiled.referencedTemplateNames.contains(template.name)
        }
    }

    static func dependentJSON(_ template: Store.StoredTemplate) -> JSONValue {
        ["id": .string(template.id), "name": .string(template.name), "type": .string(template.type)]
    }
}
