import Mustache

/// The channel a template is written for; it fixes the shape of the body (API.md §4).
public enum TemplateType: String, Sendable, Hashable, CaseIterable, Comparable {
    case email, sms, push, webhook, inapp, chat

    public static func < (lhs: TemplateType, rhs: TemplateType) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The body parts this type accepts, in rendering order.
    var parts: [TemplatePart] {
        switch self {
        case .email: [.html, .text]
        case .sms, .chat, .inapp: [.text]
        case .push: [.title, .text, .data]
        case .webhook: [.json]
        }
    }

    /// The keys a body object of this type may have: its parts and `locales`.
    public var bodyKeys: Set<String> { Set(parts.map(\.rawValue) + ["locales"]) }

    /// Parts a base body must have; locales may leave any part to the base.
    var requiredParts: [TemplatePart] {
        switch self {
        case .email: [.html]
        case .sms, .chat, .inapp: [.text]
        case .push: [.title, .text]
        case .webhook: [.json]
        }
    }

    /// The part a bare string body stands for.
    var bareStringPart: TemplatePart {
        switch self {
        case .email: .html
        case .webhook: .json  // `text` would be refused; a string is a valid JSON template
        default: .text
        }
    }
}

/// One renderable part of a template. `subject` lives beside the body (and
/// inside locales); the others are body keys.
enum TemplatePart: String, Sendable, Hashable, CaseIterable {
    case subject, html, text, title, data, json

    /// JSON parts hold any JSON whose string leaves are templates.
    var isJSON: Bool { self == .data || self == .json }

    /// Only HTML escapes interpolated values; text, subjects, SMS and JSON go out as they are.
    var escaping: MustacheEscaping { self == .html ? .html : .none }
}
