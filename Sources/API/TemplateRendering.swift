import JSON
import Rendering
import Store

/// Compiling and rendering a tenant's templates for the API: compile errors
/// become 400s naming part, line and column; partials and layouts are loaded
/// from the tenant's other templates, as many levels as they reach.
enum TemplateRendering {
    /// Parses a stored or submitted template; invalid ones throw 400 with every issue.
    static func compile(type: String, subject: String?, body: JSONValue) throws -> CompiledTemplate {
        guard let templateType = TemplateType(rawValue: type) else {
            throw APIError.validation(["type: must be one of \(TemplateType.allCases.map(\.rawValue).joined(separator: ", "))"])
        }
        do {
            return try TemplateDocument(type: templateType, subject: subject, body: body).compile()
        } catch {
            throw APIError.validation(error.issues.map(\.description))
        }
    }

    static func compile(_ stored: Store.StoredTemplate) throws -> CompiledTemplate {
        try compile(type: stored.type, subject: stored.subject, body: try JSONParser.parse(stored.body))
    }

    /// Loads the tenant's templates that `root` references, then theirs, as
    /// the worker does (TemplatePartialLoader).
    static func partials(for root: CompiledTemplate, tenantId: String, store: Store) async throws -> TemplateDictionary {
        try await TemplatePartialLoader.load(for: root) { names in
            try await store.templates(named: names, tenantId: tenantId).compactMap { stored in
                guard let type = TemplateType(rawValue: stored.type), let body = try? JSONParser.parse(stored.body) else {
                    return nil
                }
                return TemplatePartialLoader.Candidate(
                    name: stored.name, document: TemplateDocument(type: type, subject: stored.subject, body: body))
            }
        }
    }

    /// Renders or throws a 400 naming the part and position.
    static func render(_ template: CompiledTemplate, variables: JSONValue, locale: String?,
                       partials: TemplateDictionary) throws -> RenderedMessage {
        do {
            return try template.render(variables: variables, locale: locale, partials: partials)
        } catch {
            throw APIError.validation([error.issue.description])
        }
    }

    /// The body as stored: a bare string is the main part of the type.
    static func normalizedBody(_ body: JSONValue, type: String) -> JSONValue {
        guard let templateType = TemplateType(rawValue: type) else { return body }
        return TemplateDocument.normalizeBody(body, type: templateType)
    }
}
