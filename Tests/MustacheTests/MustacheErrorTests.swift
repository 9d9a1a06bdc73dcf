import JSON
import Mustache
import Testing

private func compileError(_ source: String, options: MustacheCompileOptions = MustacheCompileOptions()) -> MustacheError? {
    do {
        _ = try MustacheTemplate(source, options: options)
        return nil
    } catch {
        return error
    }
}

@Suite struct MustacheErrorTests {
    @Test(arguments: [
        ("Hi\n  {{#items}}x", 2, 3, "unclosed section \"items\""),
        ("{{^none}}", 1, 1, "unclosed section \"none\""),
        ("{{<parent}}", 1, 1, "unclosed parent \"parent\""),
        ("{{$block}}x", 1, 1, "unclosed block \"block\""),
        ("{{#a}}\n{{#b}}{{/a}}", 2, 7, "mismatched close tag \"a\", expected \"b\""),
        ("x{{/a}}", 1, 2, "unexpected close tag \"a\""),
        ("{{=<% =}}", 1, 1, "bad delimiter"),
        ("a\n{{=<% x %> y=}}", 2, 1, "bad delimiter"),
        ("{{=a= b=}}", 1, 1, "bad delimiter"),
        ("hello {{name", 1, 7, "unclosed tag"),
        ("{{{name}}", 1, 1, "unclosed tag"),
        ("{{", 1, 1, "unclosed tag"),
        ("{{}}", 1, 1, "empty tag"),
        ("{{# }}", 1, 1, "empty tag"),
        ("{{a b}}", 1, 1, "invalid name \"a b\""),
        ("{{a..b}}", 1, 1, "invalid name \"a..b\""),
        ("é ü {{/x}}", 1, 5, "unexpected close tag \"x\""),
        ("{{=<% %>=}}\n\n  <%#a%>", 3, 3, "unclosed section \"a\""),
    ] as [(String, Int, Int, String)])
    func compileErrorsArePositioned(source: String, line: Int, column: Int, message: String) {
        let error = compileError(source)
        #expect(error == MustacheError(line: line, column: column, message: message))
    }

    @Test func descriptionIsLineColonColumn() {
        let error = compileError("<p>\n\n  <ul>{{#items}}\n")
        #expect(error?.description == "3:7: unclosed section \"items\"")
    }

    @Test func nestingLimit() {
        let deep = String(repeating: "{{#a}}", count: 101) + String(repeating: "{{/a}}", count: 101)
        #expect(compileError(deep) == MustacheError(line: 1, column: 601, message: "sections nested deeper than 100 levels"))
        let ok = String(repeating: "{{#a}}", count: 100) + String(repeating: "{{/a}}", count: 100)
        #expect(compileError(ok) == nil)
        #expect(compileError("{{#a}}{{#b}}{{/b}}{{/a}}", options: MustacheCompileOptions(maxNestingDepth: 1)) != nil)
    }

    @Test func partialCompileErrorsNameThePartial() {
        #expect(throws: MustacheError(line: 1, column: 3, message: "unclosed section \"x\"", context: "partial \"footer\"")) {
            try MustachePartials(sources: ["footer": "  {{#x}}", "header": "ok"])
        }
    }

    @Test func strictValidationReportsUnknownPartials() throws {
        let partials = try MustachePartials(sources: ["header": "<h1>{{>logo}}</h1>", "logo": "L"])
        try MustacheTemplate("{{>header}}\n{{<header}}{{/header}}").validatePartials(partials)

        let template = try MustacheTemplate("{{>header}}\n  {{> footer }}\n")
        #expect(throws: MustacheError(line: 2, column: 3, message: "unknown partial \"footer\"")) {
            try template.validatePartials(partials)
        }
        let nested = try MustachePartials(sources: ["header": "<h1>\n{{>logo}}</h1>"])
        #expect(throws: MustacheError(line: 2, column: 1, message: "unknown partial \"logo\"", context: "partial \"header\"")) {
            try MustacheTemplate("{{>header}}").validatePartials(nested)
        }
        #expect(throws: MustacheError(line: 1, column: 2, message: "unknown partial \"layout\"")) {
            try MustacheTemplate("x{{<layout}}{{/layout}}").validatePartials(nested)
        }
    }

    @Test func unknownPartialsRenderEmptyUnlessStrict() throws {
        let template = try MustacheTemplate("a\n  b{{>nope}}c")
        #expect(try template.render([:]).output == "a\n  bc")
        #expect(throws: MustacheError(line: 2, column: 4, message: "unknown partial \"nope\"")) {
            try template.render([:], options: MustacheRenderOptions(strictPartials: true))
        }
        let dynamic = try MustacheTemplate("{{>*which}}")
        #expect(throws: MustacheError(line: 1, column: 1, message: "unknown partial \"gone\"")) {
            try dynamic.render(["which": "gone"], options: MustacheRenderOptions(strictPartials: true))
        }
        // A dynamic name missing from the data is falsy, not an unknown partial.
        #expect(try dynamic.render([:], options: MustacheRenderOptions(strictPartials: true)).output == "")
    }
}
