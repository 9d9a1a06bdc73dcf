/// The `format` values the contract uses, checked strictly enough to catch a
/// server that writes the wrong shape. Unknown formats are not checked.
enum OpenAPIFormat {
    /// nil when the format is unknown (annotation only), else whether `string` conforms.
    static func check(_ format: String, _ string: String) -> Bool? {
        switch format {
        case "date-time": return isDateTime(string)
        case "date": return isFullDate(Array(string.utf8))
        case "email": return isEmail(string)
        case "uri": return isURI(string)
        case "uuid": return isUUID(string)
        default: return nil
        }
    }

    // MARK: RFC 3339

    /// `full-date "T" partial-time time-offset`, with real calendar and clock ranges.
    static func isDateTime(_ string: String) -> Bool {
        let b = Array(string.utf8)
        // The shortest form is `2024-01-02T03:04:05Z`.
        guard b.count >= 20, isFullDate(Array(b[0..<10])), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t")
        else { return false }
        guard let hour = digits(b, 11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(b, 14, 2),
              b[16] == UInt8(ascii: ":"), let second = digits(b, 17, 2),
              hour <= 23, minute <= 59, second <= 60
        else { return false }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            guard i > start else { return false }
        }
        guard i < b.count else { return false }
        var offsetMinutes = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = digits(b, i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"),
                  let om = digits(b, i + 4, 2), oh <= 23, om <= 59
            else { return false }
            offsetMinutes = (oh * 60 + om) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
            i += 6
        default:
            return false
        }
        guard i == b.count else { return false }
        // A leap second exists only at 23:59:60 UTC.
        if second == 60 {
            let utc = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
            return utc == 23 * 60 + 59
        }
        return true
    }

    /// `YYYY-MM-DD` with the day valid for its month (leap years included).
    static func isFullDate(_ b: [UInt8]) -> Bool {
        guard b.count == 10, let year = digits(b, 0, 4), b[4] == UInt8(ascii: "-"),
              let month = digits(b, 5, 2), b[7] == UInt8(ascii: "-"), let day = digits(b, 8, 2),
              (1...12).contains(month), day >= 1
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private static func digits(_ b: [UInt8], _ at: Int, _ count: Int) -> Int? {
        guard at >= 0, at + count <= b.count else { return nil }
        var value = 0
        for c in b[at..<at + count] {
            guard isDigit(c) else { return nil }
            value = value * 10 + Int(c - 0x30)
        }
        return value
    }

    // MARK: email (RFC 5321 mailbox, ASCII)

    private static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".utf8)

    static func isEmail(_ string: String) -> Bool {
        let b = Array(string.utf8)
        guard let at = b.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let local = Array(b[..<at]), domain = Array(b[(at + 1)...])
        guard !local.isEmpty, local.count <= 64 else { return false }
        let localOK: Bool
        if local.count >= 2, local.first == UInt8(ascii: "\""), local.last == UInt8(ascii: "\"") {
            // Quoted local part: printable ASCII; quotes and backslashes only escaped.
            localOK = isQuotedContent(local.dropFirst().dropLast())
        } else {
            localOK = local.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
                .allSatisfy { !$0.isEmpty && $0.allSatisfy(atext.contains) }
        }
        guard localOK else { return false }
        if domain.first == UInt8(ascii: "["), domain.last == UInt8(ascii: "]") {
            return isIPv4(String(decoding: domain.dropFirst().dropLast(), as: UTF8.self))
        }
        return isHostname(domain)
    }

    private static func isQuotedContent(_ b: ArraySlice<UInt8>) -> Bool {
        var escaped = false
        for c in b {
            guard c >= 0x20, c < 0x7f else { return false }
            if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true }
            else if c == UInt8(ascii: "\"") { return false }
        }
        return !escaped
    }

    /// Dot-separated labels of letters, digits and inner hyphens (RFC 1123).
    static func isHostname(_ b: [UInt8]) -> Bool {
        guard !b.isEmpty, b.count <= 253 else { return false }
        return b.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { label in
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-")
            else { return false }
            return label.allSatisfy { isDigit($0) || isLetter($0) || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a }

    private static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCII) && p.allSatisfy(\.isNumber)
                && (p.count == 1 || p.first != "0") && Int(p).map { $0 <= 255 } == true
        }
    }

    // MARK: URI (RFC 3986 absolute URI)

    private static let uriChars = Set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#[]@!$&'()*+,;=".utf8)

    /// A scheme, then only URI characters with well-formed percent escapes and at most one `#`.
    static func isURI(_ string: String) -> Bool {
        let b = Array(string.utf8)
        guard let colon = b.firstIndex(of: UInt8(ascii: ":")), colon > 0, isLetter(b[0]),
              b[..<colon].allSatisfy({ isLetter($0) || isDigit($0) || $0 == 0x2b || $0 == 0x2d || $0 == 0x2e })
        else { return false }
        var i = colon + 1
        var hashes = 0
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "%") {
                guard i + 2 < b.count, isHex(b[i + 1]), isHex(b[i + 2]) else { return false }
                i += 3
                continue
            }
            guard uriChars.contains(c) else { return false }
            if c == UInt8(ascii: "#") { hashes += 1 }
            i += 1
        }
        return hashes <= 1
    }

    private static func isHex(_ c: UInt8) -> Bool { isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) }

    static func isUUID(_ string: String) -> Bool {
        let b = Array(string.utf8)
        guard b.count == 36 else { return false }
        return b.indices.allSatisfy { [8, 13, 18, 23].contains($0) ? b[$0] == UInt8(ascii: "-") : isHex(b[$0]) }
    }
}
