import JSON
import Mustache

/// A template compiled once, rendered many times from any thread.
///
/// Holds the base parts and each locale's parts. Rendering picks the locale
/// (exact, then its language, then the base) and, per part, falls back along
/// the same chain, so a locale may override only its subject.
public struct CompiledTemplate: Sendable {
    /// The locale reported when the base parts render.
    public static let baseLocale = "en"

    public let type: TemplateType
    /// Partial and parent names over all parts and locales (not dynamic `{{>*name}}`),
    /// so callers can load exactly the other templates a render needs.
    public let referencedTemplateNames: Set<String>

    let base: PartSet
    /// Keyed by the lowercased tag; each keeps its tag as written.
    let localeSets: [String: LocaleParts]

    init(type: TemplateType, base: PartSet, locales: [String: LocaleParts], referencedTemplateNames: Set<String>) {
        self.type = type
        self.base = base
        self.localeSets = locales
        self.referencedTemplateNames = referencedTemplateNames
    }

    /// The locale tags the document defines, as written, sorted.
    public var locales: [String] { localeSets.values.map(\.tag).sorted() }

    /// The locale a render for `requested` uses: exact (case-insensitive), then
    /// its language, then nil for the base. `de_AT` is read as `de-AT`.
    func resolveLocale(_ requested: String?) -> LocaleParts? {
        guard let requested, !requested.isEmpty, !localeSets.isEmpty else { return nil }
        let key = requested.lowercased().replacing("_", with: "-")
        if let exact = localeSets[key] { return exact }
        guard let dash = key.firstIndex(of: "-") else { return nil }
        return localeSets[String(key[..<dash])]
    }

    /// `part` along the chain: the locale keys in order, then the base.
    func part(_ part: TemplatePart, chain: LocaleChain) -> CompiledPart? {
        for key in chain.keys {
            if let found = localeSets[key]?.parts[part] { return found }
        }
        return base[part]
    }
}

/// The lowercased locale keys a render tries before the base: the locale used and its language.
struct LocaleChain: Sendable, Hashable {
    var keys: [String]

    static let base = LocaleChain(keys: [])

    init(keys: [String]) { self.keys = keys }

    /// `de-at` tries `de-at` then `de`; other templates (partials) follow the same chain.
    init(locale tag: String) {
        let key = tag.lowercased()
        if let dash = key.firstIndex(of: "-") {
            keys = [key, String(key[..<dash])]
        } else {
            keys = [key]
        }
    }
}

/// One compiled part and the name its errors carry (`body.locales.de.html`).
struct CompiledPart: Sendable {
    enum Program: Sendable {
        case text(MustacheTemplate)
        case json(MustacheJSONTemplate)
    }

    let name: String
    let program: Program

    var textTemplate: MustacheTemplate? {
        if case .text(let template) = program { return template }
        return nil
    }
}

/// The parts of the base or of one locale, indexed by part.
struct PartSet: Sendable {
    private var slots: [CompiledPart?] = Array(repeating: nil, count: TemplatePart.allCases.count)

    subscript(part: TemplatePart) -> CompiledPart? {
        get { slots[part.index] }
        set { slots[part.index] = newValue }
    }
}

struct LocaleParts: Sendable {
    let tag: String
    let parts: PartSet
}

extension TemplatePart {
    var index: Int {
        switch self {
        case .subject: 0
        case .html: 1
        case .text: 2
        case .title: 3
        case .data: 4
        case .json: 5
        }
    }
}
