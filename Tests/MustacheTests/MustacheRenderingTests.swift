import JSON
import Mustache
import Testing

private func render(
    _ source: String, _ data: JSONValue, partials: [String: String] = [:], escaping: MustacheEscaping = .html
) throws -> String {
    try MustacheTemplate(source)
        .render(data, partials: MustachePartials(sources: partials), options: MustacheRenderOptions(escaping: escaping))
        .output
}

@Suite struct MustacheRenderingTests {
    @Test func htmlEscapesFiveCharacters() throws {
        let data: JSONValue = ["v": "<a href=\"x\">Tom & Jerry's</a>"]
        #expect(try render("{{v}}", data) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;")
        #expect(try render("{{{v}}}|{{&v}}", data) == "<a href=\"x\">Tom & Jerry's</a>|<a href=\"x\">Tom & Jerry's</a>")
    }

    @Test func escapingCoversLongAndMultibyteStrings() throws {
        let clean = String(repeating: "abcdefgh", count: 20)
        let value = clean + "é<" + clean + "\"😀'" + "&"
        let expected = clean + "é&lt;" + clean + "&quot;😀&#39;" + "&amp;"
        #expect(try render("{{v}}", ["v": .string(value)]) == expected)
    }

    @Test func noEscapingForTextParts() throws {
        #expect(try render("Hi {{name}} <3", ["name": "Tom & \"Jerry\""], escaping: .none) == "Hi Tom & \"Jerry\" <3")
    }

    @Test func staticTextIsNeverEscaped() throws {
        #expect(try render("<b>&amp;</b>", [:]) == "<b>&amp;</b>")
    }

    @Test func numbersRenderAsJSONWritesThem() throws {
        let data: JSONValue = ["i": 1, "big": .int(-9_000_000_000), "whole": .double(1), "half": 1.5, "tiny": 1e-7, "huge": 1e100]
        #expect(try render("{{i}} {{big}} {{whole}} {{half}} {{tiny}} {{huge}}", data) == "1 -9000000000 1 1.5 1e-07 1e+100")
    }

    @Test func otherValues() throws {
        let data: JSONValue = ["t": true, "f": false, "n": nil, "list": [1, "a<"], "obj": ["k": "v"]]
        #expect(try render("{{t}}|{{f}}|{{n}}|{{list}}|{{{obj}}}", data) == "true|false||[1,&quot;a&lt;&quot;]|{\"k\":\"v\"}")
    }

    @Test func truthiness() throws {
        let data: JSONValue = ["empty": "", "zero": 0, "list": [], "no": false, "null": nil, "obj": .object([:])]
        #expect(try render("{{#empty}}E{{/empty}}{{#zero}}Z{{/zero}}{{#obj}}O{{/obj}}", data) == "EZO")
        #expect(try render("{{#list}}L{{/list}}{{#no}}N{{/no}}{{#null}}U{{/null}}{{#missing}}M{{/missing}}", data) == "")
        #expect(try render("{{^list}}L{{/list}}{{^no}}N{{/no}}{{^null}}U{{/null}}{{^missing}}M{{/missing}}", data) == "LNUM")
    }

    @Test func sectionsIterateAndScope() throws {
        let data: JSONValue = ["items": [["n": "a"], ["n": "b"]], "n": "outer", "user": ["name": "Ada"]]
        #expect(try render("{{#items}}{{n}},{{/items}}{{n}}", data) == "a,b,outer")
        #expect(try render("{{#user}}{{name}} {{n}}{{/user}}", data) == "Ada outer")
        #expect(try render("{{#user.name}}{{.}}{{/user.name}}", data) == "Ada")
    }

    @Test func inlinePartialInsideIndentedPartialIsNotIndented() throws {
        let partials = ["outer": "a\n{{>inner}}\nb\n", "inner": "1\n2\n"]
        #expect(try render("  {{>outer}}\n", [:], partials: partials) == "  a\n  1\n  2\n  b\n")
        let inline = ["outer": "a {{>inner}}\nb\n", "inner": "1\n2"]
        #expect(try render("  {{>outer}}\n", [:], partials: inline) == "  a 1\n2\n  b\n")
    }

    @Test func dataIsNotIndented() throws {
        let partials = ["p": "[{{v}}]\n"]
        #expect(try render("    {{>p}}\n", ["v": "x\ny"], partials: partials) == "    [x\ny]\n")
    }

    @Test func rendersConcurrently() async throws {
        let template = try MustacheTemplate("{{#items}}<{{name}}>{{/items}}{{shared.note}}")
        let shared: JSONValue = ["note": "!", "items": [["name": "s"]]]
        let results = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for i in 0..<32 {
                group.addTask {
                    var data: JSONValue = ["items": .array((0..<i).map { ["name": .string("n\($0)")] })]
                    data = ["items": data["items"]!, "shared": shared]
                    return (try template.render(data).output, try template.render(shared).output)
                }
            }
            return try await group.reduce(into: [(String, String)]()) { $0.append($1) }
        }
        #expect(Set(results.map(\.0)).count == 32)
        #expect(results.allSatisfy { $0.0.hasSuffix("!") && $0.1 == "<s>" })
    }

    @Test func partialNames() throws {
        let template = try MustacheTemplate("{{>a}}{{<b}}{{/b}}{{>a}}{{>*dynamic}}")
        #expect(template.partialNames == ["a", "b"])
    }
}
