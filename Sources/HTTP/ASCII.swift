/// Byte classes from RFC 9110 §5.6 / RFC 9112, used by the parser and by the response
/// serializer (which must never emit what the parser would reject).
enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|"
    ///       / "~" / DIGIT / ALPHA
    @inline(__always)
    static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: true
        default: false
        }
    }

    /// field-vchar / SP / HTAB, with obs-text (0x80-0xFF) allowed: no CTLs (so no CR, LF, NUL)
    /// and no DEL.
    @inline(__always)
    static func isFieldValueChar(_ b: UInt8) -> Bool {
        b == tab || (b >= 0x20 && b != 0x7F)
    }

    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool { b == space || b == tab }

    @inline(__always)
    static func lowercased(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    static func isToken(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { bytes in !bytes.isEmpty && bytes.allSatisfy(isTokenChar) }
    }

    /// Checked for every response header written, so it works on the contiguous UTF-8 bytes.
    static func isFieldValue(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { bytes in bytes.allSatisfy(isFieldValueChar) }
    }

    /// Case-insensitive ASCII comparison without allocating lowercased copies.
    @inline(__always)
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        let au = a.utf8, bu = b.utf8
        guard au.count == bu.count else { return false }
        var bi = bu.makeIterator()
        for x in au {
            guard let y = bi.next(), lowercased(x) == lowercased(y) else { return false }
        }
        return true
    }

    /// Splits a comma-separated header list into trimmed elements (empty elements kept, so
    /// callers can reject them where the grammar says so).
    static func listElements(_ value: String) -> [Substring] {
        value.split(separator: ",", omittingEmptySubsequences: false).map { element in
            var s = element[...]
            while let f = s.utf8.first, isWhitespace(f) { s = s.dropFirst() }
            while let l = s.utf8.last, isWhitespace(l) { s = s.dropLast() }
            return s
        }
    }
}
