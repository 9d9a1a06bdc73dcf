/// What a server announced in its EHLO reply (RFC 5321 §4.1.1.1): one
/// keyword per line after the greeting line, with optional parameters.
public struct SMTPCapabilities: Sendable, Equatable {
    /// Upper-cased keyword → its parameters, e.g. "SIZE" → ["35882577"].
    public let keywords: [String: [String]]

    public init(keywords: [String: [String]] = [:]) { self.keywords = keywords }

    /// Parses an EHLO reply; the first line is the server's greeting text.
    public init(ehlo reply: SMTPReply) {
        var keywords: [String: [String]] = [:]
        for line in reply.lines.dropFirst() {
            var words = line.split(separator: " ").map(String.init)
            guard !words.isEmpty else { continue }
            var keyword = words.removeFirst().uppercased()
            // Pre-standard servers still announce "AUTH=LOGIN PLAIN".
            if keyword.hasPrefix("AUTH=") {
                words.insert(String(keyword.dropFirst(5)), at: 0)
                keyword = "AUTH"
            }
            keywords[keyword, default: []].append(contentsOf: words)
        }
        self.keywords = keywords
    }

    public func supports(_ keyword: String) -> Bool { keywords[keyword.uppercased()] != nil }

    public var startTLS: Bool { supports("STARTTLS") }
    public var pipelining: Bool { supports("PIPELINING") }
    public var eightBitMIME: Bool { supports("8BITMIME") }
    public var smtpUTF8: Bool { supports("SMTPUTF8") }

    /// Upper-cased SASL mechanisms after AUTH, e.g. ["PLAIN", "LOGIN"].
    public var authMechanisms: Set<String> { Set((keywords["AUTH"] ?? []).map { $0.uppercased() }) }

    /// The largest message the server accepts, when it announced one
    /// (SIZE without a number, or SIZE 0, means no fixed limit).
    public var sizeLimit: Int? {
        guard let value = keywords["SIZE"]?.first, let size = Int(value), size > 0 else { return nil }
        return size
    }
}
