import JSON
import Rendering
import Testing

@Suite struct DocumentValidationTests {
    @Test func validBodiesPerType() throws {
        let bodies: [(TemplateType, JSONValue)] = [
            (.email, ["html": "<p>{{a}}</p>"]),
            (.email, ["html": "<p>{{a}}</p>", "text": "{{a}}"]),
            (.sms, ["text": "{{a}}"]),
            (.chat, ["text": "{{a}}"]),
            (.inapp, ["text": "{{a}}"]),
            (.push, ["title": "{{a}}", "text": "{{b}}"]),
            (.push, ["title": "{{a}}", "text": "{{b}}", "data": ["k": "{{c}}", "n": 1]]),
            (.webhook, ["json": ["event": "{{e}}", "list": [1, "{{x}}", nil]]]),
            (.webhook, ["json": 42]),
        ]
        for (type, body) in bodies {
            #expect(issues(type, body: body) == [], "\(type) \(body.jsonString)")
        }
    }

    @Test func requiredPartsAreNamed() {
        #expect(issues(.email, body: ["text": "x"]) == ["body.html: Required"])
        #expect(issues(.sms, body: [:]) == ["body.text: Required"])
        #expect(issues(.chat, body: ["text": nil]) == ["body.text: Required"])
        #expect(issues(.push, body: ["text": "x"]) == ["body.title: Required"])
        #expect(issues(.push, body: [:]) == ["body.title: Required", "body.text: Required"])
        #expect(issues(.webhook, body: [:]) == ["body.json: Required"])
    }

    @Test func wrongShapesAreNamed() {
        #expect(issues(.email, body: 3) == ["body: Expected object"])
        #expect(issues(.email, body: [1, 2]) == ["body: Expected object"])
        #expect(issues(.sms, body: nil) == ["body: Required"])
        #expect(issues(.sms, body: ["text": 5]) == ["body.text: Expected string"])
        #expect(issues(.email, body: ["html": "x", "text": ["a": 1]]) == ["body.text: Expected string"])
        #expect(issues(.push, body: ["title": true, "text": "x"]) == ["body.title: Expected string"])
    }

    @Test func unknownKeysAreRefused() {
        #expect(issues(.email, body: ["html": "x", "htm": "y"]) == ["body.htm: Unknown key"])
        #expect(issues(.sms, body: ["text": "x", "html": "y"]) == ["body.html: Unknown key"])
        #expect(issues(.email, body: ["html": "x", "subject": "s"])
            == ["body.subject: Unknown key: the subject is a field of the template"])
        #expect(issues(.sms, body: ["text": "x", "locales": ["de": ["html": "y"]]]) == ["body.locales.de.html: Unknown key"])
    }

    @Test func localesAreValidated() {
        #expect(issues(.sms, body: ["text": "x", "locales": ["de": ["text": "y"], "de-AT": [:], "pt-BR": ["subject": "s"]]]) == [])
        #expect(issues(.sms, body: ["text": "x", "locales": "de"]) == ["body.locales: Expected object"])
        #expect(issues(.sms, body: ["text": "x", "locales": ["de_DE": ["text": "y"]]])
            == ["body.locales.de_DE: Invalid locale: use a tag such as de, de-AT or pt-BR"])
        #expect(issues(.sms, body: ["text": "x", "locales": ["german": [:], "d": [:], "de-": [:]]]).count == 3)
        #expect(issues(.sms, body: ["text": "x", "locales": ["de": 1]]) == ["body.locales.de: Expected object"])
        #expect(issues(.sms, body: ["text": "x", "locales": ["de": ["subject": 1]]]) == ["body.locales.de.subject: Expected string"])
        #expect(issues(.sms, body: ["text": "x", "locales": ["de": [:], "DE": [:]]])
            == ["body.locales.DE: Duplicate locale: tags are case-insensitive"])
    }

    @Test func localeTags() {
        for tag in ["de", "de-AT", "pt-BR", "zh-Hant-TW", "es-419", "gsw"] { #expect(TemplateDocument.isValidLocale(tag), "\(tag)") }
        for tag in ["", "d", "de_AT", "de-", "-de", "deutsch", "de-A", "de AT", "ü"] { #expect(!TemplateDocument.isValidLocale(tag), "\(tag)") }
    }

    @Test func bareStringsNormalise() {
        #expect(TemplateDocument.normalizeBody("<p>x</p>", type: .email) == ["html": "<p>x</p>"])
        #expect(TemplateDocument.normalizeBody("hi", type: .sms) == ["text": "hi"])
        #expect(TemplateDocument.normalizeBody("hi", type: .push) == ["text": "hi"])
        #expect(TemplateDocument.normalizeBody("hi", type: .inapp) == ["text": "hi"])
        #expect(TemplateDocument.normalizeBody("{{e}}", type: .webhook) == ["json": "{{e}}"])
        #expect(TemplateDocument.normalizeBody(["html": "a", "locales": ["de": "b"]], type: .email)
            == ["html": "a", "locales": ["de": ["html": "b"]]])
        #expect(TemplateDocument.normalizeBody(5, type: .email) == 5)
        #expect(TemplateDocument(type: .email, subject: nil, body: "<p>x</p>").body == ["html": "<p>x</p>"])
        #expect(issues(.push, body: "hi") == ["body.title: Required"])
    }

    @Test func compileErrorsArePositioned() {
        #expect(issues(.email, body: ["html": "<p>\n\n  <ul>{{#items}}\n"]) == ["body.html:3:7: unclosed section \"items\""])
        #expect(issues(.email, subject: "Hi {{name", body: ["html": "x"]) == ["subject:1:4: unclosed tag"])
        #expect(issues(.sms, body: ["text": "a\n{{/x}}"]) == ["body.text:2:1: unexpected close tag \"x\""])
        #expect(issues(.email, body: ["html": "x", "locales": ["de": ["subject": "{{#a}}", "text": "é {{}}"]]])
            == ["body.locales.de.subject:1:1: unclosed section \"a\"", "body.locales.de.text:1:3: empty tag"])
    }

    @Test func jsonLeafErrorsNameTheirPointer() {
        #expect(issues(.push, body: ["title": "t", "text": "x", "data": ["a": ["b": "{{#c}}"]]])
            == ["body.data:1:1: unclosed section \"c\" (in /a/b)"])
        #expect(issues(.webhook, body: ["json": ["list": ["ok", "{{x"], "a/b": "{{/y}}"]])
            == ["body.json:1:1: unclosed tag (in /list/1)", "body.json:1:1: unexpected close tag \"y\" (in /a~1b)"])
        #expect(issues(.webhook, body: ["json": "{{"]) == ["body.json:1:1: unclosed tag"])
    }

    @Test func everyIssueAtOnce() throws {
        let body: JSONValue = [
            "html": "{{#a}}", "text": 1, "extra": true,
            "locales": ["de": ["html": "{{/b}}", "subject": "{{"], "x_y": [:]],
        ]
        let error = #expect(throws: TemplateCompileError.self) {
            try compile(.email, subject: "{{=a= b=}}", body: body)
        }
        #expect(error?.issues.map(\.description) == [
            "subject:1:1: bad delimiter",
            "body.extra: Unknown key",
            "body.html:1:1: unclosed section \"a\"",
            "body.text: Expected string",
            "body.locales.de.subject:1:1: unclosed tag",
            "body.locales.de.html:1:1: unexpected close tag \"b\"",
            "body.locales.x_y: Invalid locale: use a tag such as de, de-AT or pt-BR",
        ])
        let first = try #require(error?.issues.first { $0.part == "body.html" })
        #expect((first.line, first.column, first.message) == (1, 1, "unclosed section \"a\""))
    }

    @Test func compiledTemplateReportsLocalesAndReferences() throws {
        let template = try compile(.email, subject: "{{> subject-prefix}}", body: [
            "html": "{{< layout}}{{$content}}{{> footer}}{{/content}}{{/layout}}",
            "locales": ["pt-BR": ["text": "{{> signature}} {{>*dynamic}}"], "de": [:]],
        ])
        #expect(template.locales == ["de", "pt-BR"])
        #expect(template.referencedTemplateNames == ["subject-prefix", "layout", "footer", "signature"])
        let push = try compile(.push, body: ["title": "t", "text": "x", "data": ["a": ["{{> deep}}"]]])
        #expect(push.referencedTemplateNames == ["deep"])
    }
}
