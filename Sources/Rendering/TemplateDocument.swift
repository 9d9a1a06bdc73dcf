import JSON

/// A template's stored parts as the API and the library hold them: the type,
/// the subject column and the body document (API.md §4), body normalised.
///
/// Pure and cheap: validation and compilation happen in `compile()`.
public struct TemplateDocument: Sendable, Hashable {
    public var type: TemplateType
    public var subject: String?
    /// Always the object form (see `normalizeBody`) unless it was not a string or object.
    public var body: JSONValue

    public init(type: TemplateType, subject: String?, body: JSONValue) {
        self.type = type
        self.subject = subject
        self.body = Self.normalizeBody(body, type: type)
    }

    /// A bare string body means `html` for email and `text` otherwise (`json`
    /// for webhooks, the only part they have); so does a bare string locale.
    /// Anything that is not a string or an object is left for validation to refuse.
    public static func normalizeBody(_ body: JSONValue, type: TemplateType) -> JSONValue {
        switch body {
        case .string(let source):
            return [type.bareStringPart.rawValue: .string(source)]
        case .object(var object):
            if case .object(var locales)? = object["locales"] {
                for key in locales.keys {
                    if case .string(let source)? = locales[key] {
                        locales[key] = [type.bareStringPart.rawValue: .string(source)]
                    }
                }
                object["locales"] = .object(locales)
            }
            return .object(object)
        default:
            return body
        }
    }

    /// Validates and compiles every part, reporting all issues at once.
    public func compile() throws(TemplateCompileError) -> CompiledTemplate {
        var compiler = DocumentCompiler(type: type)
        let compiled = compiler.compile(subject: subject, body: body)
        guard compiler.issues.isEmpty else { throw TemplateCompileError(issues: compiler.issues) }
        return compiled
    }

    /// Every structural and compile issue; empty when the document is usable.
    public var issues: [TemplateIssue] {
        var compiler = DocumentCompiler(type: type)
        _ = compiler.compile(subject: subject, body: body)
        return compiler.issues
    }

    /// Locale tags as BCP 47 writes the common ones: `de`, `de-AT`, `pt-BR`,
    /// `zh-Hant-TW`: a 2–3 letter language, then subtags of 2–8 letters or digits.
    public static func isValidLocale(_ tag: String) -> Bool {
        guard tag.utf8.count <= 35 else { return false }
        let subtags = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard let language = subtags.first, (2...3).contains(language.utf8.count),
              language.utf8.allSatisfy(isASCIILetter) else { return false }
        return subtags.dropFirst().allSatisfy { subtag in
            (2...8).contains(subtag.utf8.count) && subtag.utf8.allSatisfy { isASCIILetter($0) || isASCIIDigit($0) }
        }
    }

    private static func isASCIILetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
    private static func isASCIIDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}

extension CompiledTemplate {
    /// Compiles a stored template; the body need not be normalised.
    public init(type: TemplateType, subject: String?, body: JSONValue) throws(TemplateCompileError) {
        self = try TemplateDocument(type: type, subject: subject, body: body).compile()
    }
}
