import JSON
import Mustache
import Testing

@Suite struct MustacheJSONTemplateTests {
    @Test func rendersStringLeavesAndKeepsTheRest() throws {
        let document = try JSONValue(parsing: #"""
        {"title": "Hi {{name}}", "count": 3, "flags": [true, null, "{{#vip}}gold{{/vip}}"],
         "nested": {"body": "{{name}} <{{email}}>", "{{name}}": "keys are not templates"}}
        """#)
        let data: JSONValue = ["name": "Tom & \"Jerry\"\n", "email": "t@example.com", "vip": true]
        let result = try MustacheJSONTemplate(document).render(data)
        let expected: JSONValue = [
            "title": "Hi Tom & \"Jerry\"\n", "count": 3, "flags": [true, nil, "gold"],
            "nested": ["body": "Tom & \"Jerry\"\n <t@example.com>", "{{name}}": "keys are not templates"],
        ]
        #expect(result.value == expected)
        #expect(result.value.objectValue?.keys == ["title", "count", "flags", "nested"])
        // Whatever the data holds, the result encodes to valid JSON.
        #expect(try JSONValue(parsing: result.value.jsonString) == expected)
        #expect(result.missingVariables.isEmpty)
    }

    @Test func ignoresTheEscapingOption() throws {
        let result = try MustacheJSONTemplate(["t": "{{v}}"]).render(["v": "<&>"], options: MustacheRenderOptions(escaping: .html))
        #expect(result.value == ["t": "<&>"])
    }

    @Test func compileErrorsCarryTheLeafPointer() {
        #expect(throws: MustacheError(line: 2, column: 1, message: "unclosed section \"x\"", context: "/a~1b/1")) {
            try MustacheJSONTemplate(["a/b": ["ok", "line\n{{#x}}"]])
        }
        #expect(throws: MustacheError(line: 1, column: 1, message: "unclosed tag")) {
            try MustacheJSONTemplate("{{")
        }
    }

    @Test func missingVariablesAreMergedAcrossLeaves() throws {
        let result = try MustacheJSONTemplate(["a": "{{x}}{{y}}", "b": ["{{y}}{{z}}"]]).render([:])
        #expect(result.missingVariables == ["x", "y", "z"])
    }

    @Test func outputLimitCoversTheWholeDocument() throws {
        let template = try MustacheJSONTemplate(["a": "{{v}}", "b": "{{v}}"])
        let data: JSONValue = ["v": .string(String(repeating: "x", count: 600))]
        #expect(throws: MustacheError(line: 1, column: 1, message: "output exceeds 400 bytes", context: "/b")) {
            try template.render(data, options: MustacheRenderOptions(maxOutputBytes: 1000))
        }
    }

    @Test func partialsAndValidation() throws {
        let partials = try MustachePartials(sources: ["sig": "-- {{team}}"])
        let template = try MustacheJSONTemplate(["text": "Hello\n{{>sig}}", "other": ["{{>nope}}"]])
        #expect(try template.render(["team": "Ops"], partials: partials).value == ["text": "Hello\n-- Ops", "other": [""]])
        #expect(throws: MustacheError(line: 1, column: 1, message: "unknown partial \"nope\"", context: "/other/0")) {
            try template.validatePartials(partials)
        }
    }
}
