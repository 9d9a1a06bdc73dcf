import JSON
import Mustache
import Testing

@Suite struct MustacheLimitTests {
    let items: JSONValue = ["items": .array((0..<100).map { _ in ["text": .string(String(repeating: "x", count: 1000))] })]

    @Test func outputLimitIsConfigurable() throws {
        let template = try MustacheTemplate("<ul>\n{{#items}}<li>{{text}}</li>{{/items}}")
        #expect(try template.render(items).output.utf8.count == 100 * 1009 + 5)
        #expect(throws: MustacheError(line: 2, column: 15, message: "output exceeds 10000 bytes")) {
            try template.render(items, options: MustacheRenderOptions(maxOutputBytes: 10_000))
        }
    }

    @Test func defaultOutputLimitIsFourMebibytes() throws {
        let template = try MustacheTemplate("{{#items}}{{#items}}{{text}}{{/items}}{{/items}}")
        #expect(throws: MustacheError(line: 1, column: 21, message: "output exceeds 4194304 bytes")) {
            try template.render(items)
        }
    }

    @Test func partialRecursionIsBounded() throws {
        let partials = try MustachePartials(sources: ["loop": "x{{>loop}}"])
        let template = try MustacheTemplate("a\n {{>loop}}")
        #expect(throws: MustacheError(line: 2, column: 2, message: "partials nested deeper than 50 levels at \"loop\"")) {
            try template.render([:], partials: partials)
        }
        #expect(throws: MustacheError.self) {
            try template.render([:], partials: partials, options: MustacheRenderOptions(maxPartialDepth: 5))
        }
    }

    @Test func dynamicRecursionNamesTheResolvedPartial() throws {
        let partials = try MustachePartials(sources: ["loop": "{{>*next}}"])
        #expect(throws: MustacheError(line: 1, column: 1, message: "partials nested deeper than 50 levels at \"loop\"")) {
            try MustacheTemplate("{{>*next}}").render(["next": "loop"], partials: partials)
        }
    }

    @Test func parentRecursionIsBounded() throws {
        let partials = try MustachePartials(sources: ["layout": "{{<layout}}{{$b}}x{{/b}}{{/layout}}"])
        #expect(throws: MustacheError(line: 1, column: 1, message: "partials nested deeper than 50 levels at \"layout\"")) {
            try MustacheTemplate("{{<layout}}{{/layout}}").render([:], partials: partials)
        }
    }

    @Test func dataDrivenRecursionWithinTheLimitRenders() throws {
        var tree: JSONValue = ["name": "leaf", "children": []]
        for level in 0..<40 { tree = ["name": .string("n\(level)"), "children": [tree]] }
        let partials = try MustachePartials(sources: ["node": "{{name}}({{#children}}{{>node}}{{/children}})"])
        let output = try MustacheTemplate("{{>node}}").render(tree, partials: partials).output
        #expect(output.hasPrefix("n39(n38("))
        #expect(output.hasSuffix("leaf()" + String(repeating: ")", count: 40)))
    }

    @Test(.timeLimit(.minutes(1))) func exponentialWorkHitsTheStepLimit() throws {
        // A call tree 20 deep (within the depth limit) with 4^20 leaves that write nothing.
        var sources = ["l20": ""]
        for level in 0..<20 { sources["l\(level)"] = String(repeating: "{{>l\(level + 1)}}", count: 4) }
        let partials = try MustachePartials(sources: sources)
        #expect(MustacheRenderOptions().maxSteps == 10_000_000)
        #expect(throws: MustacheError(line: 1, column: 3, message: "render exceeded 100000 steps")) {
            try MustacheTemplate("  {{>l0}}").render([:], partials: partials, options: MustacheRenderOptions(maxSteps: 100_000))
        }
        // Sections nested twelve deep over ten items: 10^12 iterations.
        let nested = String(repeating: "{{#a}}", count: 12) + String(repeating: "{{/a}}", count: 12)
        let data: JSONValue = ["a": .array(Array(repeating: 1, count: 10))]
        let error = #expect(throws: MustacheError.self) {
            try MustacheTemplate(nested).render(data, options: MustacheRenderOptions(maxSteps: 1000))
        }
        #expect(error?.message == "render exceeded 1000 steps")
    }

    @Test func deepNestingRendersWithoutRecursion() throws {
        let depth = 100
        let source = String(repeating: "{{#a}}", count: depth) + "{{v}}" + String(repeating: "{{/a}}", count: depth)
        var data: JSONValue = ["v": "deep"]
        for _ in 0..<depth { data = ["a": data] }
        #expect(try MustacheTemplate(source).render(data).output == "deep")
    }
}
