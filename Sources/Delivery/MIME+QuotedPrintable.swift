/// Namespace for the MIME encoders used to build messages.
public enum MIME {}

extension MIME {
    /// Quoted-printable (RFC 2045 §6.7) for text bodies.
    ///
    /// Line breaks in the input (CRLF, LF or lone CR) become hard CRLF
    /// breaks; long lines get soft breaks (`=` CRLF) so no encoded line is
    /// longer than 76 characters; `=`, non-ASCII and control bytes, and
    /// whitespace at the end of a line are escaped as `=XX`. A line starting
    /// with "." is left as it is: dot-stuffing is the SMTP layer's job.
    public enum QuotedPrintable {
        public static let maxLineLength = 76
        private static let hexDigits = Array("0123456789ABCDEF".utf8)

        public static func encode(_ bytes: [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + bytes.count / 8 + 16)
            let lines = MIME.lines(of: bytes)
            for (lineIndex, line) in lines.enumerated() {
                var column = 0
                for (index, byte) in line.enumerated() {
                    let isLast = index == line.count - 1
                    let literal = (33...126).contains(byte) && byte != UInt8(ascii: "=")
                        || (byte == 0x20 || byte == 0x09) && !isLast
                    let width = literal ? 1 : 3
                    // Leave room for the soft-break "=" unless this is the
                    // line's last token, which may use the 76th column.
                    let limit = isLast ? maxLineLength : maxLineLength - 1
                    if column + width > limit {
                        out.append(contentsOf: [UInt8(ascii: "="), 13, 10])
                        column = 0
                    }
                    if literal {
                        out.append(byte)
                    } else {
                        out.append(UInt8(ascii: "="))
                        out.append(hexDigits[Int(byte >> 4)])
                        out.append(hexDigits[Int(byte & 0x0f)])
                    }
                    column += width
                }
                if lineIndex < lines.count - 1 { out.append(contentsOf: [13, 10]) }
            }
            return out
        }

        public static func encode(_ text: String) -> [UInt8] { encode(Array(text.utf8)) }

        /// Decodes soft breaks and `=XX` escapes (either case), dropping
        /// whitespace at line ends as RFC 2045 requires. Hard line breaks come
        /// out as CRLF. Nil for a malformed escape.
        public static func decode(_ bytes: [UInt8]) -> [UInt8]? {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            let lines = MIME.lines(of: bytes)
            for (lineIndex, rawLine) in lines.enumerated() {
                var line = rawLine[...]
                while let last = line.last, last == 0x20 || last == 0x09 { line.removeLast() }
                var soft = false
                var index = line.startIndex
                while index < line.endIndex {
                    let byte = line[index]
                    guard byte == UInt8(ascii: "=") else { out.append(byte); index += 1; continue }
                    if index + 1 == line.endIndex { soft = true; break }
                    guard index + 2 < line.endIndex,
                          let high = hexValue(line[index + 1]), let low = hexValue(line[index + 2]) else { return nil }
                    out.append(high << 4 | low)
                    index += 3
                }
                if !soft && lineIndex < lines.count - 1 { out.append(contentsOf: [13, 10]) }
            }
            return out
        }

        private static func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            default: return nil
            }
        }
    }

    /// Splits at CRLF, LF or lone CR. "a\n" gives ["a", ""], so joining the
    /// pieces with CRLF reproduces the text with normalised line breaks.
    static func lines(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 13 || byte == 10 {
                lines.append(bytes[start..<index])
                index += (byte == 13 && index + 1 < bytes.count && bytes[index + 1] == 10) ? 2 : 1
                start = index
            } else {
                index += 1
            }
        }
        lines.append(bytes[start..<bytes.count])
        return lines
    }

    /// The same text with every line break as CRLF.
    static func normalizingLineBreaks(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        for (index, line) in lines(of: bytes).enumerated() {
            if index > 0 { out.append(contentsOf: [13, 10]) }
            out.append(contentsOf: line)
        }
        return out
    }
}
