extension JSONParser {
    /// Parses a string starting at the opening quote. Strings without escapes
    /// are decoded straight from the input; the rest go through `scratch`.
    mutating func parseString() throws(JSONError) -> String {
        try parseString(hashingInto: nil)
    }

    /// Also computes `JSONObject.hash(of:)` of the result when asked (for keys).
    mutating func parseString(hashingInto hash: UnsafeMutablePointer<UInt32>?) throws(JSONError) -> String {
        offset += 1
        let start = offset
        var asciiOnly = true
        // Plain ASCII runs go eight bytes at a time; the byte loop handles the rest.
        if let base = bytes.baseAddress {
            while offset + 8 <= bytes.count && SWAR.isPlain(SWAR.load(base, offset), asciiOnly: true) { offset += 8 }
        }
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
                if !asciiOnly { try validateUTF8(slice, base: start) }
                offset += 1
                hash?.pointee = JSONObject.hash(ofUTF8: slice)
                return String(decoding: slice, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control character in string") }
            if byte >= 0x80 { asciiOnly = false }
            offset += 1
        }
        guard offset < bytes.count else { throw error("unterminated string", at: start - 1) }
        // Escapes: copy what was scanned so far, then continue byte by byte.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]))
        var rawStart = start
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                try validateRaw(from: rawStart)
                offset += 1
                hash?.pointee = scratch.withUnsafeBytes(JSONObject.hash(ofUTF8:))
                return String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try validateRaw(from: rawStart)
                try parseEscape()
                rawStart = offset
            case ..<0x20:
                throw error("control character in string")
            default:
                scratch.append(byte)
                offset += 1
            }
        }
        throw error("unterminated string", at: start - 1)
    }

    /// Validates the raw (unescaped) run that ends at `offset`. Escapes only
    /// produce valid UTF-8, so checking each run separately is enough.
    private func validateRaw(from rawStart: Int) throws(JSONError) {
        guard rawStart < offset else { return }
        try validateUTF8(UnsafeRawBufferPointer(rebasing: bytes[rawStart..<offset]), base: rawStart)
    }

    private mutating func parseEscape() throws(JSONError) {
        let escapeStart = offset
        offset += 1
        guard let byte = current else { throw error("unterminated string") }
        offset += 1
        switch byte {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try parseHex4())
            if (0xD800..<0xDC00).contains(scalar) {
                guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw error("unpaired high surrogate escape", at: escapeStart)
                }
                offset += 2
                let low = UInt32(try parseHex4())
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired high surrogate escape", at: escapeStart) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw error("unpaired low surrogate escape", at: escapeStart)
            }
            appendUTF8(scalar)
        default:
            throw error("invalid escape sequence", at: escapeStart)
        }
    }

    private mutating func parseHex4() throws(JSONError) -> UInt16 {
        guard offset + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt16(digit)
            offset += 1
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case ..<0x80:
            scratch.append(UInt8(scalar))
        case ..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Strict UTF-8 (RFC 3629): no overlong forms, no encoded surrogates,
    /// nothing above U+10FFFF.
    func validateUTF8(_ slice: UnsafeRawBufferPointer, base: Int) throws(JSONError) {
        var i = 0
        let n = slice.count
        while i < n {
            let lead = slice[i]
            if lead < 0x80 { i += 1; continue }
            let length: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: throw error("invalid UTF-8", at: base + i)
            }
            guard i + length <= n else { throw error("invalid UTF-8", at: base + i) }
            let second = slice[i + 1]
            guard second >= lower && second <= upper else { throw error("invalid UTF-8", at: base + i) }
            for k in 2..<max(2, length) where slice[i + k] & 0xC0 != 0x80 {
                throw error("invalid UTF-8", at: base + i)
            }
            i += length
        }
    }
}
