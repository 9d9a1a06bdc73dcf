import JSON
import Rendering
import Store

/// Compiling and rendering a tenant's templates for the API: compile errors
/// become 400s naming part, line and column; partials and layouts are loaded
/// from the tenant's other templates, as many levels as they reach.
enum TemplateRendering {
    /// The other templates a render may reach, by name.
    struct TenantTemplates: TemplatePartialSource {
        var templates: [String: CompiledTemplate] = [:]
        func template(named name: String) -> CompiledTemplate? { templates[name] }
    }

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

    /// Loads the tenant's templates that `root` references, then theirs, up to a
    /// fixed depth. A name held by several types prefers the root's type.
    static func partials(for root: CompiledTemplate, tenantId: String, store: Store) async throws -> TenantTemplates {
        var loaded = TenantTemplates()
        var wanted = root.referencedTemplateNames
        for _ in 0..<10 where !wanted.isEmpty {
            let found = try await store.templates(named: Array(wanted), tenantId: tenantId)
            var next = Set<String>()
            for name in wanted {
                let candidates = found.filter { $0.name == name }
                guard let pick = candidates.first(where: { $0.type == root.type.rawValue }) ?? candidates.first,
                      let compiled = try? compile(pick) else { continue }
                loaded.templates[name] = compiled
                next.formUnion(compiled.referencedTemplateNames.subtracting(loaded.templates.keys))
            }
            wanted = next.subtracting(loaded.templates.keys)
        }
        return loaded
    }

    /// Renders or throws a 400 naming the part and position.
    static func render(_ template: CompiledTemplate, variables: JSONValue, locale: String?,
                       partials: TenantTemplates) throws -> RenderedMessage {
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
