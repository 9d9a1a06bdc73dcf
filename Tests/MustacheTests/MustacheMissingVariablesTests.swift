import JSON
import Mustache
import Testing

@Suite struct MustacheMissingVariablesTests {
    @Test func reportsEachMissingNameOnceInOrder() throws {
        let template = try MustacheTemplate("{{b}}{{a.x}}{{b}}{{present}}{{#sec}}{{/sec}}{{^inv}}{{/inv}}{{a.x}}{{nothing}}")
        let result = try template.render(["present": nil, "a": ["y": 1]])
        #expect(result.output == "")
        #expect(result.missingVariables == ["b", "a.x", "sec", "inv", "nothing"])
    }

    @Test func resolvedThroughOuterContextsIsNotMissing() throws {
        let template = try MustacheTemplate("{{#items}}{{name}}{{brand}}{{price}}{{/items}}")
        let result = try template.render(["brand": "B", "items": [["name": "x"], ["name": "y", "price": 2]]])
        #expect(result.output == "xByB2")
        #expect(result.missingVariables == ["price"])
    }

    @Test func includesPartialsAndDynamicNames() throws {
        let partials = try MustachePartials(sources: ["p": "{{inside}}"])
        let result = try MustacheTemplate("{{>p}}{{>*which}}").render([:], partials: partials)
        #expect(result.missingVariables == ["inside", "which"])
    }

    @Test func implicitIteratorIsNeverMissing() throws {
        let result = try MustacheTemplate("{{.}}{{#.}}x{{/.}}").render("v")
        #expect(result.output == "vx")
        #expect(result.missingVariables.isEmpty)
    }
}
