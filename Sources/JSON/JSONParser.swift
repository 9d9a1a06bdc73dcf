/// A strict RFC 8259 parser working directly on UTF-8 bytes.
///
/// Rejects what lenient parsers let through: invalid UTF-8, lone surrogate
/// escapes, leading zeros, trailing commas, raw control characters in
/// strings and anything after the top-level value. Integers that fit `Int64`
/// stay integers; other numbers become `Double`. Duplicate keys: last wins.
public struct JSONParser {
    public static let defaultMaxDepth = 512

    let bytes: UnsafeRawBufferPointer
    var offset = 0
    let maxDepth: Int
    var depth = 0
    /// Reused across strings that contain escapes.
    var scratch: [UInt8] = []

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.offset == bytes.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        // `withUnsafeBytes` rethrows untyped errors; carrying a Result keeps the type.
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONError) in try parse(buffer, maxDepth: maxDepth) }
        }.get()
    }

    public static func parse(_ string: String, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        var string = string
        return try string.withUTF8 { buffer in
            Result { () throws(JSONError) in try parse(UnsafeRawBufferPointer(buffer), maxDepth: maxDepth) }
        }.get()
    }

    func error(_ message: String, at offset: Int? = nil) -> JSONError {
        JSONError(message, offset: offset ?? self.offset)
    }

    @inline(__always) var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(JSONError) -> JSONValue {
        guard let byte = current else { throw error("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        default: throw error("unexpected character \(describe(byte))")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let count = literal.utf8CodeUnitCount
        let matches = offset + count <= bytes.count && literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[offset + $0] == expected[$0] }
        }
        guard matches else { throw error("invalid literal") }
        offset += count
    }

    mutating func enterContainer() throws(JSONError) {
        depth += 1
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
    }

    mutating func parseArray() throws(JSONError) -> JSONValue {
        try enterContainer()
        offset += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            offset += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"):
                offset += 1
                depth -= 1
                return .array(elements)
            case nil: throw error("unterminated array")
            case let byte?: throw error("expected ',' or ']' but found \(describe(byte))")
            }
        }
    }

    mutating func parseObject() throws(JSONError) -> JSONValue {
        try enterContainer()
        offset += 1
        var object = JSONObject()
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            offset += 1
            depth -= 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else {
                throw current == nil ? error("unterminated object") : error("expected a string key")
            }
            var hash: UInt32 = 0
            let key = try parseString(hashingInto: &hash)
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':' after object key") }
            offset += 1
            skipWhitespace()
            object.setValue(try parseValue(), forKey: key, hash: hash)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"):
                offset += 1
                depth -= 1
                return .object(object)
            case nil: throw error("unterminated object")
            case let byte?: throw error("expected ',' or '}' but found \(describe(byte))")
            }
        }
    }

    func describe(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }
}
