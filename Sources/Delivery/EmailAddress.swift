/// One mailbox: an address and an optional display name.
public struct EmailAddress: Sendable, Hashable {
    public var address: String
    public var name: String?

    public init(_ address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }

    /// Characters never allowed in an address we send to: separators
    /// and quoting of RFC 5322 that we do not support, and anything
    /// that could end the SMTP command or header line.
    private static let forbidden = Set("<>()[],;:\\\" ".unicodeScalars)

    /// Checks the shape `local@domain`, refusing CR, LF and other control
    /// characters before anything is sent (header/command injection).
    public func validate() throws {
        let scalars = address.unicodeScalars
        guard let at = address.lastIndex(of: "@") else {
            throw DeliveryError(.invalidMessage, "address \(Self.quoted(address)) has no @")
        }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        guard !local.isEmpty, !domain.isEmpty, address.utf8.count <= 254,
              !local.contains("@"), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains(".."),
              scalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7f && !Self.forbidden.contains($0) }) else {
            throw DeliveryError(.invalidMessage, "invalid address \(Self.quoted(address))")
        }
        if let name, name.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7f }) {
            throw DeliveryError(.invalidMessage, "display name of \(Self.quoted(address)) contains control characters")
        }
    }

    /// Whether the address itself needs SMTPUTF8 (RFC 6531).
    var isASCII: Bool { address.utf8.allSatisfy { $0 < 0x80 } }

    /// Header tokens for `name <address>`, ready for folding: the name
    /// as atoms, one quoted-string, or encoded-words.
    func headerTokens() -> [String] {
        let mailbox = "<" + address + ">"
        guard let name, !name.isEmpty else { return [mailbox] }
        if name.unicodeScalars.allSatisfy({ Self.isAtext($0) || $0 == " " }),
           !name.hasPrefix(" "), !name.hasSuffix(" "), !name.contains("  "), !name.contains("=?") {
            return name.split(separator: " ").map(String.init) + [mailbox]
        }
        if MIME.EncodedWord.isPlain(name) && !name.contains("\t") {
            var quoted = "\""
            for character in name {
                if character == "\\" || character == "\"" { quoted.append("\\") }
                quoted.append(character)
            }
            quoted.append("\"")
            if quoted.utf8.count < MIME.EncodedWord.maxWordLength { return [quoted, mailbox] }
        }
        return MIME.EncodedWord.encode(name) + [mailbox]
    }

    /// RFC 5322 atext: what may appear in a display name without quotes.
    private static func isAtext(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        default: return "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
        }
    }

    static func quoted(_ text: String) -> String {
        let clean = String(text.unicodeScalars.prefix(80).map { $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0) })
        return "\"" + clean + "\""
    }
}

/// An extra header such as List-Unsubscribe or X-Herald-Notification.
public struct EmailHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
