import JSON
import Rendering
import Testing

@Suite struct LocaleRenderingTests {
    let template: CompiledTemplate

    init() throws {
        template = try compile(.email, subject: "Hello {{name}}", body: [
            "html": "<p>Hello {{name}}</p>",
            "text": "Hello {{name}}",
            "locales": [
                "de": ["subject": "Hallo {{name}}", "html": "<p>Hallo {{name}}</p>", "text": "Hallo {{name}}"],
                "de-AT": ["subject": "Servus {{name}}"],
                "fr": ["html": "<p>Bonjour {{name}}</p>"],
            ],
        ])
    }

    private func render(_ locale: String?) throws -> RenderedMessage {
        try template.render(variables: ["name": "Ana"], locale: locale)
    }

    @Test func exactLocale() throws {
        let message = try render("de")
        #expect(message.locale == "de")
        #expect(message.subject == "Hallo Ana")
        #expect(message.html == "<p>Hallo Ana</p>")
        #expect(message.text == "Hallo Ana")
    }

    @Test func regionFallsBackToLanguagePerPart() throws {
        let message = try render("de-AT")
        #expect(message.locale == "de-AT")
        #expect(message.subject == "Servus Ana")  // de-AT's own
        #expect(message.html == "<p>Hallo Ana</p>")  // from de
        #expect(message.text == "Hallo Ana")
    }

    @Test func unknownRegionUsesLanguage() throws {
        let message = try render("de-CH")
        #expect(message.locale == "de")
        #expect(message.subject == "Hallo Ana")
    }

    @Test func missingPartsFallBackToBase() throws {
        let message = try render("fr-CA")
        #expect(message.locale == "fr")
        #expect(message.subject == "Hello Ana")
        #expect(message.html == "<p>Bonjour Ana</p>")
    }

    @Test func emailTextStaysWithItsHTML() throws {
        // fr brings HTML but no text: the text comes from the French HTML, not the English text.
        #expect(try render("fr").text == "Bonjour Ana")
        // de-AT brings neither: both come from de.
        #expect(try render("de-AT").text == "Hallo Ana")
        let subjectOnly = try compile(.email, subject: "S", body: ["html": "<p>H</p>", "text": "T", "locales": ["it": ["subject": "O"]]])
        let italian = try subjectOnly.render(variables: [:], locale: "it")
        #expect((italian.subject, italian.html, italian.text) == ("O", "<p>H</p>", "T"))
    }

    @Test func unknownOrNoLocaleUsesBase() throws {
        for locale in [nil, "", "es", "es-MX", "en"] as [String?] {
            let message = try render(locale)
            #expect(message.locale == CompiledTemplate.baseLocale)
            #expect(message.subject == "Hello Ana")
            #expect(message.html == "<p>Hello Ana</p>")
        }
    }

    @Test func matchingIgnoresCaseAndUnderscore() throws {
        #expect(try render("DE-at").subject == "Servus Ana")
        #expect(try render("de_AT").subject == "Servus Ana")
        #expect(try render("FR").html == "<p>Bonjour Ana</p>")
    }

    @Test func localeMayAddASubjectTheBaseLacks() throws {
        let sms = try compile(.sms, body: ["text": "Hi", "locales": ["de": ["subject": "Betreff"]]])
        #expect(try sms.render(variables: [:]).subject == nil)
        let german = try sms.render(variables: [:], locale: "de")
        #expect(german.subject == "Betreff")
        #expect(german.text == "Hi")
    }
}
