extension JSONValue {
    /// Compact UTF-8 JSON.
    public func encoded(prettyPrinted: Bool = false) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(256)
        encode(into: &buffer, prettyPrinted: prettyPrinted)
        return buffer
    }

    /// Compact JSON text.
    public var jsonString: String { String(decoding: encoded(), as: UTF8.self) }

    /// Appends the JSON text of this value to `buffer`.
    public func encode(into buffer: inout [UInt8], prettyPrinted: Bool = false) {
        var writer = JSONWriter(pretty: prettyPrinted)
        writer.write(self, into: &buffer)
    }
}

/// Writes JSON text; numbers print the way JavaScript would (`1`, `1.5`, `1e+100`).
struct JSONWriter {
    let pretty: Bool
    var indent = 0

    init(pretty: Bool) { self.pretty = pretty }

    mutating func write(_ value: JSONValue, into buffer: inout [UInt8]) {
        switch value {
        case .null: buffer.append(contentsOf: "null".utf8)
        case .bool(let b): buffer.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): JSONWriter.writeInt(i, into: &buffer)
        case .double(let d): JSONWriter.writeDouble(d, into: &buffer)
        case .string(let s): JSONWriter.writeString(s, into: &buffer)
        case .array(let elements):
            buffer.append(UInt8(ascii: "["))
            guard !elements.isEmpty else { buffer.append(UInt8(ascii: "]")); return }
            indent += 1
            for (index, element) in elements.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                newline(&buffer)
                write(element, into: &buffer)
            }
            indent -= 1
            newline(&buffer)
            buffer.append(UInt8(ascii: "]"))
        case .object(let object):
            buffer.append(UInt8(ascii: "{"))
            guard !object.isEmpty else { buffer.append(UInt8(ascii: "}")); return }
            indent += 1
            for (index, key) in object.keys.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                newline(&buffer)
                JSONWriter.writeString(key, into: &buffer)
                buffer.append(UInt8(ascii: ":"))
                if pretty { buffer.append(UInt8(ascii: " ")) }
                write(object.value(at: index), into: &buffer)
            }
            indent -= 1
            newline(&buffer)
            buffer.append(UInt8(ascii: "}"))
        }
    }

    private func newline(_ buffer: inout [UInt8]) {
        guard pretty else { return }
        buffer.append(UInt8(ascii: "\n"))
        buffer.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    static func writeInt(_ value: Int64, into buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // Twenty digits cover UInt64; digits come out backwards, so fill from the end.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var position = 20
            repeat {
                position -= 1
                digits[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[position..<20]))
        }
    }

    /// Shortest round-trip form. Whole numbers within ±2^53 print as integers;
    /// NaN and infinities, which JSON cannot carry, print as `null`.
    static func writeDouble(_ value: Double, into buffer: inout [UInt8]) {
        guard value.isFinite else { buffer.append(contentsOf: "null".utf8); return }
        if value.magnitude <= 9_007_199_254_740_992, Double(Int64(value)) == value {
            writeInt(Int64(value), into: &buffer)
            return
        }
        buffer.append(contentsOf: value.description.utf8)
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ string: String, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            var runStart = 0
            var i = 0
            let n = bytes.count
            while i < n {
                // Skip eight bytes that need no escape (no quote, backslash, control or U+2028/9 lead byte).
                if i + 8 <= n, let base = bytes.baseAddress {
                    let word = SWAR.load(UnsafeRawPointer(base), i)
                    if SWAR.isPlain(word, asciiOnly: false) && SWAR.hasByte(word, 0xE2) == 0 {
                        i += 8
                        continue
                    }
                }
                let byte = bytes[i]
                let escape: StaticString?
                var skip = 1
                switch byte {
                case UInt8(ascii: "\""): escape = "\\\""
                case UInt8(ascii: "\\"): escape = "\\\\"
                case 0x0A: escape = "\\n"
                case 0x0D: escape = "\\r"
                case 0x09: escape = "\\t"
                case 0x08: escape = "\\b"
                case 0x0C: escape = "\\f"
                case ..<0x20: escape = nil  // written as \u00XX below
                // U+2028 and U+2029 are valid JSON but end lines in JavaScript.
                case 0xE2 where i + 2 < n && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                    escape = bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029"
                    skip = 3
                default:
                    i += 1
                    continue
                }
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                if let escape {
                    escape.withUTF8Buffer { buffer.append(contentsOf: $0) }
                } else {
                    buffer.append(contentsOf: "\\u00".utf8)
                    buffer.append(hexDigits[Int(byte >> 4)])
                    buffer.append(hexDigits[Int(byte & 0xF)])
                }
                i += skip
                runStart = i
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<n]))
        }
        buffer.append(UInt8(ascii: "\""))
    }
}
