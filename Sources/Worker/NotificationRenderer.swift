import JSON
import Rendering
import Store

/// Renders rows queued without content (verification codes, invitations):
/// the template by id, else the tenant's template of the row's name and type,
/// else the built-in file of that name (a tenant that deleted its copy still
/// gets its codes). Partials come from the tenant, else from the built-ins.
/// Rows sent through the API were rendered when queued and skip all this.
struct NotificationRenderer: Sendable {
    let store: Store
    /// Built-in templates by name and type.
    let library: [String: TemplateDocument]

    init(store: Store, library: [Rendering.TemplateSeed]) {
        self.store = store
        var byKey: [String: TemplateDocument] = [:]
        for seed in library { byKey[Self.key(seed.name, seed.type.rawValue)] = seed.document }
        self.library = byKey
    }

    static func key(_ name: String, _ type: String) -> String { name + "\u{0}" + type }

    func render(_ row: Store.ClaimedNotification) async throws -> RenderedMessage {
        guard let type = TemplateType(rawValue: row.type) else {
            throw PreparationError("no templates exist for type \(row.type)")
        }
        let compiled: CompiledTemplate
        do {
            compiled = try await document(for: row, type: type).compile()
        } catch let error as TemplateCompileError {
            throw PreparationError("the template does not compile: \(error.issues.first?.description ?? "invalid")")
        }
        let tenantId = row.tenantId
        let partials = try await TemplatePartialLoader.load(for: compiled) { names in
            try await candidates(named: names, tenantId: tenantId)
        }
        let variables: JSONValue
        do {
            variables = try JSONParser.parse(row.variables)
        } catch {
            throw PreparationError("the stored variables are not valid JSON")
        }
        do {
            return try compiled.render(variables: variables, locale: row.locale, partials: partials)
        } catch {
            throw PreparationError("the template does not render: \(error.issue.description)")
        }
    }

    private func document(for row: Store.ClaimedNotification, type: TemplateType) async throws -> TemplateDocument {
        if let id = row.templateId, let stored = try await store.template(id: id, tenantId: row.tenantId) {
            return try Self.document(stored)
        }
        if let name = row.templateName {
            if let stored = try await store.template(reference: name, tenantId: row.tenantId, type: type.rawValue) {
                return try Self.document(stored)
            }
            if let builtIn = library[Self.key(name, type.rawValue)] { return builtIn }
        }
        let name = row.templateName.map { "'\($0)'" } ?? "(none named)"
        throw PreparationError("no \(type.rawValue) template \(name) in the tenant or the built-in library")
    }

    private func candidates(named names: [String], tenantId: String) async throws -> [TemplatePartialLoader.Candidate] {
        var found = try await store.templates(named: names, tenantId: tenantId).compactMap { stored in
            (try? Self.document(stored)).map { TemplatePartialLoader.Candidate(name: stored.name, document: $0) }
        }
        let tenantHas = Set(found.map(\.name))
        for name in names where !tenantHas.contains(name) {
            for type in TemplateType.allCases {
                if let builtIn = library[Self.key(name, type.rawValue)] {
                    found.append(TemplatePartialLoader.Candidate(name: name, document: builtIn))
                }
            }
        }
        return found
    }

    static func document(_ stored: Store.StoredTemplate) throws -> TemplateDocument {
        guard let type = TemplateType(rawValue: stored.type), let body = try? JSONParser.parse(stored.body) else {
            throw PreparationError("template \(stored.id) is not a valid stored document")
        }
        return TemplateDocument(type: type, subject: stored.subject, body: body)
    }
}
