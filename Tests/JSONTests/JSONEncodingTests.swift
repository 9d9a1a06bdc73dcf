import JSON
import Testing

@Suite struct JSONEncodingTests {
    @Test func compactOutput() {
        let value: JSONValue = ["b": [1, true, nil, "x"], "a": ["nested": 2.5], "empty": [], "obj": .object([:])]
        #expect(value.jsonString == #"{"b":[1,true,null,"x"],"a":{"nested":2.5},"empty":[],"obj":{}}"#)
    }

    @Test func prettyOutput() {
        let value: JSONValue = ["a": [1, 2], "b": .object([:])]
        let text = String(decoding: value.encoded(prettyPrinted: true), as: UTF8.self)
        #expect(text == "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}")
    }

    @Test(arguments: [
        (JSONValue.double(1), "1"),
        (.double(-3), "-3"),
        (.double(1.5), "1.5"),
        (.double(0.1), "0.1"),
        (.double(-0.0), "0"),
        (.double(1e100), "1e+100"),
        (.double(1.5e-7), "1.5e-07"),
        (.double(9007199254740992), "9007199254740992"),
        (.double(.nan), "null"),
        (.double(.infinity), "null"),
        (.double(-.infinity), "null"),
        (.int(.min), "-9223372036854775808"),
        (.int(.max), "9223372036854775807"),
        (.int(0), "0"),
    ])
    func numbers(value: JSONValue, expected: String) {
        #expect(value.jsonString == expected)
    }

    @Test func doublesRoundTrip() throws {
        for double in [0.1, 1.0 / 3.0, 123456.789, .leastNonzeroMagnitude, 1.7976931348623157e308, 9007199254740994, 2e16, -7.25e-10] {
            let text = JSONValue.double(double).jsonString
            #expect(try JSONValue(parsing: text).doubleValue == double, "\(text)")
        }
    }

    @Test func stringEscapes() {
        #expect(JSONValue.string("a\"b\\c").jsonString == #""a\"b\\c""#)
        #expect(JSONValue.string("\n\r\t\u{8}\u{c}").jsonString == #""\n\r\t\b\f""#)
        #expect(JSONValue.string("\u{0}\u{1f}\u{7f}").jsonString == "\"\\u0000\\u001f\u{7f}\"")
        #expect(JSONValue.string("x\u{2028}y\u{2029}z").jsonString == #""x\u2028y\u2029z""#)
        #expect(JSONValue.string("é中😀/").jsonString == "\"é中😀/\"")
        #expect(JSONValue.object(["k\"ey": 1]).jsonString == #"{"k\"ey":1}"#)
    }

    @Test func roundTrips() throws {
        let documents = [
            #"{"name":"Ada","tags":["x","y"],"n":-12,"f":2.75,"ok":true,"none":null}"#,
            #"[[],{},[[[]]],{"a":{"b":{"c":"\u0001"}}}]"#,
            #""\ud83d\ude00 \u2028""#,
            #"{"z":1,"a":2,"m":3}"#,
        ]
        for document in documents {
            let value = try JSONValue(parsing: document)
            #expect(try JSONValue(parsing: value.jsonString) == value)
            #expect(try JSONValue(parsing: value.encoded(prettyPrinted: true)) == value)
        }
        #expect(try JSONValue(parsing: #"{"z":1,"a":2,"m":3}"#).jsonString == #"{"z":1,"a":2,"m":3}"#)
    }

    @Test func appendsToExistingBuffer() {
        var buffer = Array("x=".utf8)
        JSONValue.array([1, "two"]).encode(into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == #"x=[1,"two"]"#)
    }
}
