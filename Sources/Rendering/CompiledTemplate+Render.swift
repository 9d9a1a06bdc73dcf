import JSON
import Mustache

extension CompiledTemplate {
    /// Limits for one part: a message past 1 MiB is a mistake, and 20 nested
    /// partials is far beyond any layout; both stop runaway recursion early.
    static func renderOptions(for part: TemplatePart) -> MustacheRenderOptions {
        MustacheRenderOptions(escaping: part.escaping, maxOutputBytes: 1 << 20, maxPartialDepth: 20, strictPartials: true)
    }

    /// Renders every part the type has in the locale picked for `locale`.
    ///
    /// Partials and layouts resolve to other templates from `partials`; an
    /// unknown one fails the render, naming the part and the tag's position.
    /// An email without a text part gets one derived from its HTML.
    /// Each part falls back along the locale chain on its own, except that an
    /// email's text stays with its HTML (see `emailText`).
    public func render(
        variables: JSONValue, locale: String? = nil, partials: any TemplatePartialSource = TemplateDictionary()
    ) throws(TemplateRenderError) -> RenderedMessage {
        let used = resolveLocale(locale)
        let chain = used.map { LocaleChain(locale: $0.tag) } ?? .base
        var message = RenderedMessage(locale: used?.tag ?? Self.baseLocale)
        var missing = MissingNames()

        for part in [TemplatePart.subject] + type.parts {
            let found = type == .email && part == .text ? emailText(chain: chain) : self.part(part, chain: chain)
            guard let compiled = found else { continue }
            let resolver = PartPartialResolver(source: partials, part: part, chain: chain)
            let options = Self.renderOptions(for: part)
            do {
                switch compiled.program {
                case .text(let template):
                    let rendering = try template.render(variables, partials: resolver, options: options)
                    missing.add(rendering.missingVariables)
                    message.set(part, text: rendering.output)
                case .json(let template):
                    let rendering = try template.render(variables, partials: resolver, options: options)
                    missing.add(rendering.missingVariables)
                    message.set(part, json: rendering.value)
                }
            } catch {
                throw TemplateRenderError(issue: TemplateIssue(part: compiled.name, error))
            }
        }
        if type == .email, message.text == nil, let html = message.html {
            message.text = HTMLToText.convert(html)
        }
        message.missingVariables = missing.names
        return message
    }

    /// An email's text part, or nil to derive it from the HTML. The text goes
    /// with the HTML: a locale that brings its own HTML but no text gets text
    /// derived from that HTML, not the base language's text.
    private func emailText(chain: LocaleChain) -> CompiledPart? {
        for key in chain.keys {
            guard let parts = localeSets[key]?.parts else { continue }
            if let text = parts[.text] { return text }
            if parts[.html] != nil { return nil }
        }
        return base[.text]
    }

    /// A subject on one line: CR and LF become spaces, runs of spaces
    /// collapse, the ends are trimmed. Header injection needs a line break.
    static func singleLine(_ subject: String) -> String {
        var result = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in subject.unicodeScalars {
            if scalar == "\r" || scalar == "\n" || scalar == " " || scalar == "\t" {
                pendingSpace = true
                continue
            }
            if pendingSpace && !result.isEmpty { result.append(" ") }
            pendingSpace = false
            result.append(scalar)
        }
        return String(result)
    }
}

/// The union of missing names over parts: unique, in first-seen order.
private struct MissingNames {
    var names: [String] = []
    private var seen: Set<String> = []

    mutating func add(_ more: [String]) {
        for name in more where seen.insert(name).inserted { names.append(name) }
    }
}

extension RenderedMessage {
    fileprivate mutating func set(_ part: TemplatePart, text: String) {
        switch part {
        case .subject: subject = CompiledTemplate.singleLine(text)
        case .html: html = text
        case .text: self.text = text
        case .title: title = text
        case .data, .json: break  // JSON parts never compile to text templates
        }
    }

    fileprivate mutating func set(_ part: TemplatePart, json value: JSONValue) {
        switch part {
        case .data: data = value
        case .json: json = value
        default: break  // text parts never compile to JSON templates
        }
    }
}
