import JSON
import Rendering
import Testing

@Suite struct RenderingTests {
    let hostile: JSONValue = ["v": "Tom & \"Jerry\" <b>'s</b>\nnext line"]

    @Test func htmlEscapesEveryMarkupCharacter() throws {
        let template = try compile(.email, body: ["html": "<p>{{v}}</p><p>{{{v}}}</p>"])
        let html = try template.render(variables: ["v": "& < > \" '"]).html
        #expect(html == "<p>&amp; &lt; &gt; &quot; &#39;</p><p>& < > \" '</p>")
    }

    @Test func subjectAndTextAreNotEscaped() throws {
        let template = try compile(.email, subject: "{{v}}", body: ["html": "{{v}}", "text": "{{v}}"])
        let message = try template.render(variables: hostile)
        #expect(message.text == "Tom & \"Jerry\" <b>'s</b>\nnext line")
        #expect(message.subject == "Tom & \"Jerry\" <b>'s</b> next line")
        #expect(message.html?.contains("&amp;") == true)
    }

    @Test(arguments: [TemplateType.sms, .chat, .inapp])
    func textTypesAreNotEscaped(type: TemplateType) throws {
        let message = try compile(type, body: ["text": "Hi {{v}}"]).render(variables: ["v": "<A&B>"])
        #expect(message.text == "Hi <A&B>")
        #expect(message.html == nil && message.subject == nil && message.title == nil)
        #expect(message.jsonDocument == ["text": "Hi <A&B>"])
    }

    @Test func subjectLosesLineBreaks() throws {
        let template = try compile(.email, subject: "  {{a}}\r\n{{b}}  \n\n", body: ["html": "x"])
        let message = try template.render(variables: ["a": "Reset\r\nBcc: evil@example.com", "b": "now\tplease"])
        #expect(message.subject == "Reset Bcc: evil@example.com now please")
        #expect(message.subject?.contains(where: \.isNewline) == false)
    }

    @Test func emailWithoutTextDerivesIt() throws {
        let template = try compile(.email, subject: "S", body: "<h1>Hi {{name}}</h1><p>See <a href=\"{{url}}\">this</a>.</p>")
        let message = try template.render(variables: ["name": "Ana & Bo", "url": "https://x.example/?a=1&b=2"])
        #expect(message.text == "Hi Ana & Bo\n\nSee this (https://x.example/?a=1&b=2).")
        #expect(message.jsonDocument == [
            "subject": "S",
            "html": "<h1>Hi Ana &amp; Bo</h1><p>See <a href=\"https://x.example/?a=1&amp;b=2\">this</a>.</p>",
            "text": "Hi Ana & Bo\n\nSee this (https://x.example/?a=1&b=2).",
        ])
    }

    @Test func pushRendersValidJSON() throws {
        let template = try compile(.push, body: [
            "title": "{{v}}", "text": "Hi {{v}}",
            "data": ["quote": "{{v}}", "n": 3, "list": ["{{v}}", true], "raw": "{{{v}}}"],
        ])
        let message = try template.render(variables: hostile)
        #expect(message.title == "Tom & \"Jerry\" <b>'s</b>\nnext line")
        let data = try #require(message.data)
        #expect(data["quote"] == .string("Tom & \"Jerry\" <b>'s</b>\nnext line"))
        #expect(data["raw"] == data["quote"])
        #expect(data["n"] == 3 && data["list"] == [.string("Tom & \"Jerry\" <b>'s</b>\nnext line"), true])
        let stored = message.jsonDocument.jsonString
        #expect(try JSONValue(parsing: stored) == message.jsonDocument)
        #expect(message.jsonDocument["title"] != nil && message.jsonDocument["data"] != nil)
    }

    @Test func webhookRendersValidJSON() throws {
        let template = try compile(.webhook, body: ["json": ["event": "signup", "user": ["name": "{{v}}", "id": 7]]])
        let message = try template.render(variables: hostile)
        let json = try #require(message.json)
        #expect(json == ["event": "signup", "user": ["name": .string("Tom & \"Jerry\" <b>'s</b>\nnext line"), "id": 7]])
        #expect(try JSONValue(parsing: json.jsonString) == json)
        #expect(message.jsonDocument == ["json": json])
        #expect(message.text == nil)
    }

    @Test func missingVariablesAcrossParts() throws {
        let template = try compile(.email, subject: "{{a}} {{b}}", body: [
            "html": "{{b}} {{c.d}} {{#e}}{{f}}{{/e}} {{present}}", "text": "{{g}} {{a}}",
        ])
        let message = try template.render(variables: ["present": 1])
        #expect(message.missingVariables == ["a", "b", "c.d", "e", "g"])
    }

    @Test func renderedDocumentRoundTrips() throws {
        let message = RenderedMessage(subject: "S", html: "<p>x</p>", text: "x", data: ["a": 1], locale: "de")
        let document = message.jsonDocument
        #expect(document == ["subject": "S", "html": "<p>x</p>", "text": "x", "data": ["a": 1]])
        #expect(RenderedMessage(jsonDocument: document, locale: "de") == message)
        #expect(RenderedMessage(jsonDocument: ["text": 1], locale: "de") == nil)
        #expect(RenderedMessage(jsonDocument: "x", locale: "de") == nil)
    }

    @Test func outputLimitIsAPositionedError() throws {
        let template = try compile(.sms, body: ["text": "{{#items}}{{big}}{{/items}}"])
        let big = String(repeating: "x", count: 100_000)
        let items = JSONValue.array(Array(repeating: ["big": .string(big)], count: 20))
        let error = renderError(template, ["items": items])
        #expect(error == "body.text:1:11: output exceeds 1048576 bytes")
    }

    @Test func compiledTemplatesRenderConcurrently() async throws {
        let template = try compile(.email, subject: "{{n}}", body: ["html": "<b>{{n}}</b>"])
        let results = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<50 {
                group.addTask { (try? template.render(variables: ["n": .int(Int64(n))]))?.text == "\(n)" }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 50 && results.allSatisfy { $0 })
    }
}
