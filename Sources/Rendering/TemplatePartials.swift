import Mustache

/// Where partials and layouts come from: other templates of the same tenant,
/// or the built-in library. `{{> footer}}` names template `footer`.
public protocol TemplatePartialSource: Sendable {
    func template(named name: String) -> CompiledTemplate?
}

/// Templates held in a dictionary by name.
public struct TemplateDictionary: TemplatePartialSource {
    public var templates: [String: CompiledTemplate]

    public init(_ templates: [String: CompiledTemplate] = [:]) {
        self.templates = templates
    }

    /// Names are unique per tenant and type, so one name may have several
    /// templates. Keeps one per name: of `type`, else email (the only type
    /// with an HTML part), else the first type in alphabetical order.
    public init(_ candidates: [(name: String, template: CompiledTemplate)], preferring type: TemplateType) {
        func rank(_ candidate: TemplateType) -> Int {
            candidate == type ? 0 : candidate == .email ? 1 : 2
        }
        var chosen: [String: CompiledTemplate] = [:]
        for (name, template) in candidates {
            if let current = chosen[name] {
                let better = (rank(template.type), template.type) < (rank(current.type), current.type)
                if !better { continue }
            }
            chosen[name] = template
        }
        templates = chosen
    }

    public func template(named name: String) -> CompiledTemplate? { templates[name] }
}

/// Presents another template's part to Mustache as a partial, for one part
/// of one render: part P in the render's locale chain, else the partial's
/// text, else its html. A text-only partial thus works inside HTML too.
struct PartPartialResolver: MustachePartialResolver {
    let source: any TemplatePartialSource
    let part: TemplatePart
    let chain: LocaleChain

    func template(named name: String) -> MustacheTemplate? {
        source.template(named: name)?.partialTemplate(for: part, chain: chain)
    }
}

extension CompiledTemplate {
    /// The text template that stands in for this template when another one names it.
    func partialTemplate(for part: TemplatePart, chain: LocaleChain) -> MustacheTemplate? {
        if let found = self.part(part, chain: chain)?.textTemplate { return found }
        if let found = self.part(.text, chain: chain)?.textTemplate { return found }
        return self.part(.html, chain: chain)?.textTemplate
    }
}

extension CompiledTemplate {
    /// Partials and layouts named in any part or locale that `partials` does
    /// not resolve, followed through the partials they name in turn. Dynamic
    /// names (`{{>*name}}`) depend on data and are only checked by rendering.
    public func unresolvedPartials(in partials: any TemplatePartialSource) -> [TemplateIssue] {
        var sets = [(chain: LocaleChain.base, parts: base)]
        for locale in localeSets.values.sorted(by: { $0.tag < $1.tag }) {
            sets.append((LocaleChain(locale: locale.tag), locale.parts))
        }
        var issues: [TemplateIssue] = []
        for (chain, parts) in sets {
            for part in TemplatePart.allCases {
                guard let compiled = parts[part] else { continue }
                let resolver = PartPartialResolver(source: partials, part: part, chain: chain)
                do {
                    switch compiled.program {
                    case .text(let template): try template.validatePartials(resolver)
                    case .json(let template): try template.validatePartials(resolver)
                    }
                } catch {
                    issues.append(TemplateIssue(part: compiled.name, error))
                }
            }
        }
        return issues
    }
}
