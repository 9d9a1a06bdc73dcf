import JSON
import Testing

/// The string scanners work eight bytes at a time; put the interesting byte at every offset.
@Suite struct JSONStringScanTests {
    let specials: [(raw: String, escaped: String)] = [
        ("\"", #"\""#), ("\\", #"\\"#), ("\n", #"\n"#), ("\u{1}", #"\u0001"#), ("\u{2028}", #"\u2028"#),
        ("é", "é"), ("😀", "😀"), ("\u{7f}", "\u{7f}"),
    ]

    @Test func encodesAndParsesAtEveryOffset() throws {
        for length in 0..<20 {
            for (raw, escaped) in specials {
                let prefix = String(repeating: "a", count: length)
                let value = JSONValue.string(prefix + raw + "tail-of-the-string")
                let expected = "\"" + prefix + escaped + "tail-of-the-string\""
                #expect(value.jsonString == expected)
                #expect(try JSONValue(parsing: expected) == value)
                #expect(try JSONValue(parsing: "{\"" + prefix + escaped + "\":1}")[prefix + raw] == 1)
            }
        }
    }

    @Test func rejectsBadBytesAtEveryOffset() {
        for length in 0..<20 {
            let prefix = Array(repeating: UInt8(ascii: "b"), count: length)
            for bad: [UInt8] in [[0x0A], [0x00], [0x1F], [0xFF], [0xC3], [0xED, 0xA0, 0x80]] {
                let document = [0x22] + prefix + bad + Array("xxxxxxxxxx\"".utf8)
                #expect(throws: JSONError.self) { try JSONParser.parse(document) }
            }
            let unterminated = [0x22] + prefix
            #expect(throws: JSONError.self) { try JSONParser.parse(unterminated) }
        }
    }

    @Test func keysWithEscapesMatchPlainLookups() throws {
        let object = try JSONValue(parsing: #"{"caf\u00e9": 1, "a\"b": 2, "plain-key-longer-than-eight": 3}"#)
        #expect(object["café"] == 1)
        #expect(object["a\"b"] == 2)
        #expect(object["plain-key-longer-than-eight"] == 3)
    }
}
