import JSON
import Mustache
import HeraldTestSupport
import Testing

@Suite struct MustacheFuzzTests {
    static let fragments: [String] = [
        "{{", "}}", "{{{", "}}}", "{{a}}", "{{b.c}}", "{{.}}", "{{&a}}", "{{{b}}}", "{{#a}}", "{{/a}}", "{{^b}}", "{{/b}}",
        "{{#items}}", "{{/items}}", "{{>p}}", "{{>q}}", "{{>*d}}", "{{<p}}", "{{/p}}", "{{$x}}", "{{/x}}", "{{!c}}", "{{! ",
        "{{=<% %>=}}", "<%a%>", "<%/a%>", "%>", "<%", "{{=| |=}}", "|a|", "{{= =}}", "{{#}}", "{{a b}}", "{{a..b}}",
        "\n", "\r\n", "  ", "\t", "x", "é", "😀", "<b>", "&", "\"", "'", "{", "}", "=", "#", "/",
    ]
    static let keys = ["a", "b", "c", "d", "x", "items", "p", "q"]

    /// Random data shaped like the names the fragments use.
    static func randomValue(_ rng: inout SeededGenerator, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 2 ? 6 : 8), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int64.random(in: -5...5, using: &rng))
        case 3: return .double(Double.random(in: -10...10, using: &rng))
        case 4: return .string(keys.randomElement(using: &rng)!)
        case 5: return .string(fragments.randomElement(using: &rng)!)
        case 6: return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                object[keys.randomElement(using: &rng)!] = randomValue(&rng, depth: depth + 1)
            }
            return .object(object)
        }
    }

    static func soup(_ rng: inout SeededGenerator) -> String {
        (0..<Int.random(in: 1...30, using: &rng)).map { _ in fragments.randomElement(using: &rng)! }.joined()
    }

    /// Inserts fragments into, deletes from, or duplicates parts of a template.
    static func mutate(_ source: String, _ rng: inout SeededGenerator) -> String {
        var characters = Array(source)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let at = Int.random(in: 0...characters.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                characters.insert(contentsOf: fragments.randomElement(using: &rng)!, at: at)
            case 1 where at < characters.count:
                characters.removeSubrange(at..<min(characters.count, at + Int.random(in: 1...6, using: &rng)))
            default:
                let end = min(characters.count, at + Int.random(in: 0...10, using: &rng))
                characters.insert(contentsOf: characters[at..<end], at: at)
            }
        }
        return String(characters)
    }

    @Test(.timeLimit(.minutes(2))) func randomAndMutatedTemplatesRenderOrFailWithAPosition() throws {
        let specTemplates = try Spec.loadCases().map(\.template)
        var rng = SeededGenerator(state: 0x4845_5241_4C44)
        let options = MustacheRenderOptions(maxOutputBytes: 64 << 10, maxPartialDepth: 20, maxSteps: 50_000)
        var rendered = 0, compileErrors = 0, renderErrors = 0

        for round in 0..<4000 {
            let source = round.isMultiple(of: 2)
                ? Self.mutate(specTemplates.randomElement(using: &rng)!, &rng)
                : Self.soup(&rng)
            var partialTemplates: [String: MustacheTemplate] = [:]
            for name in ["p", "q", "x", "a"] where Bool.random(using: &rng) {
                partialTemplates[name] = try? MustacheTemplate(Bool.random(using: &rng) ? Self.soup(&rng) : Self.mutate(source, &rng))
            }
            let data = Self.randomValue(&rng, depth: 0)
            do throws(MustacheError) {
                let template = try MustacheTemplate(source)
                do throws(MustacheError) {
                    let output = try template.render(data, partials: MustachePartials(partialTemplates), options: options)
                    #expect(output.output.utf8.count <= options.maxOutputBytes)
                    rendered += 1
                } catch {
                    #expect(error.line >= 1 && error.column >= 1, "\(source.debugDescription): \(error)")
                    renderErrors += 1
                }
                _ = try? MustacheJSONTemplate(["t": .string(source)]).render(data, options: options)
            } catch {
                #expect(error.line >= 1 && error.column >= 1, "\(source.debugDescription): \(error)")
                #expect(error.line <= source.utf8.count + 1)
                compileErrors += 1
            }
        }
        #expect(rendered + compileErrors + renderErrors == 4000)
        // The generator should exercise both outcomes substantially.
        #expect(rendered > 400 && compileErrors > 400)
    }
}
