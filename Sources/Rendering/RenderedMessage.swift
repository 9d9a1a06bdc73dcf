import JSON

/// What one render produced: the parts the template type has, the locale used
/// and the variables the templates asked for that the data lacks.
public struct RenderedMessage: Sendable, Hashable {
    public var subject: String?
    public var html: String?
    public var text: String?
    public var title: String?
    /// A push notification's data, rendered.
    public var data: JSONValue?
    /// A webhook's document, rendered.
    public var json: JSONValue?
    /// The locale tag whose parts were used, as the template writes it, or
    /// `CompiledTemplate.baseLocale` for the base.
    public var locale: String
    /// Dotted names, each once, in the order first looked up over all parts.
    public var missingVariables: [String]

    public init(
        subject: String? = nil, html: String? = nil, text: String? = nil, title: String? = nil,
        data: JSONValue? = nil, json: JSONValue? = nil, locale: String, missingVariables: [String] = []
    ) {
        self.subject = subject
        self.html = html
        self.text = text
        self.title = title
        self.data = data
        self.json = json
        self.locale = locale
        self.missingVariables = missingVariables
    }

    /// The non-nil parts as one object (`subject`, `html`, `text`, `title`,
    /// `data`, `json`): what the notifications table stores and the test and
    /// preview endpoints answer. (`json` is taken by the webhook part.)
    public var jsonDocument: JSONValue {
        var object = JSONObject()
        if let subject { object["subject"] = .string(subject) }
        if let html { object["html"] = .string(html) }
        if let text { object["text"] = .string(text) }
        if let title { object["title"] = .string(title) }
        if let data { object["data"] = data }
        if let json { object["json"] = json }
        return .object(object)
    }

    /// Reads back a stored `jsonDocument`; nil when it is not an object or a
    /// text part is not a string.
    public init?(jsonDocument document: JSONValue, locale: String, missingVariables: [String] = []) {
        guard case .object(let object) = document else { return nil }
        func text(_ key: String) -> String?? {
            switch object[key] {
            case nil, .null?: return .some(nil)
            case .string(let value)?: return .some(value)
            default: return nil
            }
        }
        guard let subject = text("subject"), let html = text("html"), let body = text("text"),
              let title = text("title") else { return nil }
        self.init(subject: subject, html: html, text: body, title: title,
                  data: object["data"], json: object["json"], locale: locale, missingVariables: missingVariables)
    }
}
