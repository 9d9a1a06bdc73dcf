import Foundation
import JSON
import Rendering

/// The checkout this file is in: Tests/RenderingTests/TestSupport.swift is three levels down.
let repositoryRoot: String = {
    var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(3)
    return components.joined(separator: "/")
}()

let templatesDirectory = repositoryRoot + "/templates"

/// Compiles or records why not, for tests that expect issues.
func issues(_ type: TemplateType, subject: String? = nil, body: JSONValue) -> [String] {
    TemplateDocument(type: type, subject: subject, body: body).issues.map(\.description)
}

func compile(_ type: TemplateType, subject: String? = nil, body: JSONValue) throws -> CompiledTemplate {
    try CompiledTemplate(type: type, subject: subject, body: body)
}

/// The render error's description, or nil when the render succeeded.
func renderError(
    _ template: CompiledTemplate, _ variables: JSONValue = [:], locale: String? = nil,
    partials: [String: CompiledTemplate] = [:]
) -> String? {
    do {
        _ = try template.render(variables: variables, locale: locale, partials: TemplateDictionary(partials))
        return nil
    } catch {
        return error.description
    }
}
