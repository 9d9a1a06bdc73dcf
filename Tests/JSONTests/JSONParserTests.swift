import JSON
import Testing

@Suite struct JSONParserTests {
    @Test func parsesScalars() throws {
        #expect(try JSONValue(parsing: "null") == .null)
        #expect(try JSONValue(parsing: "true") == .bool(true))
        #expect(try JSONValue(parsing: " false ") == .bool(false))
        #expect(try JSONValue(parsing: "\"hi\"") == .string("hi"))
        #expect(try JSONValue(parsing: "\n\t\r 42 \n") == .int(42))
    }

    @Test func parsesContainersInOrder() throws {
        let value = try JSONValue(parsing: #"{"b": [1, 2.5, "x", null, {}], "a": {"c": []}}"#)
        guard case .object(let object) = value else { Issue.record("not an object"); return }
        #expect(object.keys == ["b", "a"])
        #expect(object["b"] == [1, 2.5, "x", nil, .object([:])])
        #expect(object["a"] == ["c": []])
    }

    @Test func duplicateKeysLastWins() throws {
        let value = try JSONValue(parsing: #"{"a": 1, "b": 2, "a": 3}"#)
        #expect(value["a"] == .int(3))
        #expect(value.objectValue?.keys == ["a", "b"])
    }

    @Test(arguments: [
        ("0", JSONValue.int(0)),
        ("-0", .int(0)),
        ("123", .int(123)),
        ("-45", .int(-45)),
        ("9223372036854775807", .int(.max)),
        ("-9223372036854775808", .int(.min)),
        ("9223372036854775808", .double(0x1p63)),
        ("-9223372036854775809", .double(-0x1p63)),
        ("123456789012345678901234567890", .double(1.2345678901234568e29)),
        ("1.5", .double(1.5)),
        ("-0.25", .double(-0.25)),
        ("1e3", .double(1000)),
        ("1E+3", .double(1000)),
        ("2.5e-3", .double(0.0025)),
        ("1.0", .double(1)),
        ("1e-400", .double(0)),
    ])
    func numberForms(text: String, expected: JSONValue) throws {
        #expect(try JSONValue(parsing: text) == expected)
    }

    @Test func unicodeEscapes() throws {
        #expect(try JSONValue(parsing: #""\u00e9\u4e2d""#) == .string("é中"))
        #expect(try JSONValue(parsing: #""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONValue(parsing: #""\uD83D\uDE00!""#) == .string("😀!"))
        #expect(try JSONValue(parsing: #""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try JSONValue(parsing: #""\u0000""#) == .string("\u{0}"))
        #expect(try JSONValue(parsing: "\"caf\u{e9} \\n \u{1F600}\"") == .string("café \n 😀"))
    }

    @Test(arguments: [
        "", " ", "nul", "tru", "True", "01", "-01", "00", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "1.5.2",
        "[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}", "{\"a\":}", "[", "{", "[1", "{\"a\":1",
        "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\uZZZZ\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
        "\"tab\there\"", "\"line\nbreak\"", "1 2", "[] []", "{} x", "nullx", "1e400", "-1e400", "NaN", "Infinity",
        "\u{FEFF}1",
    ])
    func rejectsInvalid(text: String) {
        #expect(throws: JSONError.self) { try JSONValue(parsing: text) }
    }

    @Test(arguments: [
        [0x22, 0xFF, 0x22],               // never valid
        [0x22, 0xC0, 0xAF, 0x22],         // overlong "/"
        [0x22, 0xE0, 0x80, 0xAF, 0x22],   // overlong
        [0x22, 0xED, 0xA0, 0x80, 0x22],   // encoded surrogate
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], // above U+10FFFF
        [0x22, 0xE4, 0xB8, 0x22],         // truncated sequence
        [0x22, 0x5C, 0x6E, 0xC3, 0x22],   // invalid after an escape
        [0x5B, 0xC3, 0xA9, 0x5D],         // non-ASCII outside a string
    ] as [[UInt8]])
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        #expect(throws: JSONError.self) { try JSONParser.parse(bytes) }
    }

    @Test func acceptsValidUTF8Bytes() throws {
        let bytes: [UInt8] = [0x22, 0xC3, 0xA9, 0xE4, 0xB8, 0xAD, 0xF0, 0x9F, 0x98, 0x80, 0x22]
        #expect(try JSONParser.parse(bytes) == .string("é中😀"))
    }

    @Test func errorOffsets() {
        #expect(throws: JSONError("unexpected data after the JSON value", offset: 4)) { try JSONValue(parsing: "[1] x") }
        #expect(throws: JSONError("leading zero in number", offset: 1)) { try JSONValue(parsing: "[01]") }
        #expect(throws: JSONError("unterminated string", offset: 0)) { try JSONValue(parsing: "\"abc") }
        #expect(throws: JSONError("unpaired low surrogate escape", offset: 2)) { try JSONValue(parsing: #"["\udc00"]"#) }
        #expect(throws: JSONError("expected a string key", offset: 8)) { try JSONValue(parsing: #"{"a": 1,}"#) }
    }

    @Test func depthLimit() throws {
        let deep = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONValue(parsing: deep) }
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: JSONError.self) { try JSONValue(parsing: tooDeep) }
        let objects = String(repeating: #"{"a":"#, count: 11) + "1" + String(repeating: "}", count: 11)
        #expect(throws: JSONError.self) { try JSONValue(parsing: objects, maxDepth: 10) }
        // A hostile document far past the limit fails cleanly rather than overflowing the stack.
        let hostile = String(repeating: "[", count: 1_000_000)
        #expect(throws: JSONError.self) { try JSONValue(parsing: hostile) }
    }
}
