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
            throw invalid(error.issues)
        }
    }

    /// A 400 whose issues carry where each problem is, for an editor to mark.
    static func invalid(_ issues: [TemplateIssue]) -> APIError {
        var error = APIError.validation(issues.map(\.description))
        error.issueFields = issues.map(fields)
        return error
    }

    /// `{message, part, locale, line, column, detail}`: `message` the one-line
    /// text, `detail` the bare problem, line and column 0 without a position.
    static func fields(_ issue: TemplateIssue) -> JSONObject {
        let location = issue.location
        return ["message": .string(issue.description), "part": .string(location.part),
                "locale": location.locale.map(JSONValue.string) ?? .null,
                "line": .int(Int64(issue.line)), "column": .int(Int64(issue.column)), "detail": .string(issue.message)]
    }

    /// Structured issues of an error thrown by `compile` or `render`, one per
    /// issue string (plain `{message}` where there are no fields).
    static func issuesJSON(_ error: APIError) -> JSONValue {
        .array(error.issues.enumerated().map { index, message in
            index < error.issueFields.count ? .object(error.issueFields[index]) : ["message": .string(message)]
        })
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
            throw invalid([error.issue])
        }
    }

    /// The body as stored: a bare string is the main part of the type, unless
    /// it is the JSON text of a document (see `document(in:)`).
    static func normalizedBody(_ body: JSONValue, type: String) -> JSONValue {
        guard let templateType = TemplateType(rawValue: type) else { return body }
        if case .string(let text) = body, let document = document(in: text, type: templateType) {
            return TemplateDocument.normalizeBody(document, type: templateType)
        }
        return TemplateDocument.normalizeBody(body, type: templateType)
    }

    /// The pxyz client's callers send `body` as a string (the contract types it
    /// so for PUT), some of them holding the JSON text of the whole document.
    /// Such a string is taken as the document when it is a non-empty JSON
    /// object whose keys are all body keys of the type (`html`, `text`,
    /// `locales`, …); any other string, JSON or not, stays the main part.
    static func document(in text: String, type: TemplateType) -> JSONValue? {
        guard text.utf8.first(where: { !Self.isJSONSpace($0) }) == UInt8(ascii: "{"),
              case .object(let object)? = try? JSONParser.parse(Array(text.utf8)),
              !object.isEmpty, object.keys.allSatisfy(type.bodyKeys.contains) else { return nil }
        return .object(object)
    }

    private static func isJSONSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
