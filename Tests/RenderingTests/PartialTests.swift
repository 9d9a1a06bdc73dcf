import JSON
import Rendering
import Testing

@Suite struct PartialTests {
    @Test func htmlPartUsesThePartialsHTML() throws {
        let footer = try compile(.email, subject: "footer subject", body: [
            "html": "<footer>{{company}} &copy;</footer>", "text": "-- {{company}}",
        ])
        let mail = try compile(.email, subject: "Hi {{> footer}}", body: [
            "html": "<p>Body</p>{{> footer}}", "text": "Body\n{{> footer}}",
        ])
        let message = try mail.render(variables: ["company": "A&B"], partials: TemplateDictionary(["footer": footer]))
        #expect(message.html == "<p>Body</p><footer>A&amp;B &copy;</footer>")
        #expect(message.text == "Body\n-- A&B")
        #expect(message.subject == "Hi footer subject")
    }

    @Test func textOnlyPartialServesHTMLToo() throws {
        let signature = try compile(.sms, body: ["text": "Regards, {{team}}"])
        let mail = try compile(.email, subject: "{{> signature}}", body: ["html": "<p>{{> signature}}</p>"])
        let message = try mail.render(variables: ["team": "<Ops>"], partials: TemplateDictionary(["signature": signature]))
        #expect(message.html == "<p>Regards, &lt;Ops&gt;</p>")  // escaped: it renders as part of the HTML
        #expect(message.subject == "Regards, <Ops>")
        #expect(message.text == "Regards, <Ops>")  // derived from the HTML
    }

    @Test func htmlOnlyPartialServesText() throws {
        let banner = try compile(.email, body: ["html": "<b>{{x}}</b>"])
        let sms = try compile(.sms, body: ["text": "[{{> banner}}]"])
        let message = try sms.render(variables: ["x": "<y>"], partials: TemplateDictionary(["banner": banner]))
        #expect(message.text == "[<b><y></b>]")
    }

    @Test func layoutsFillBlocksAcrossTemplates() throws {
        let layout = try compile(.email, body: [
            "html": "<html lang=\"{{$lang}}en{{/lang}}\"><h1>{{tenant}}</h1>{{$content}}{{/content}}<small>{{$footer}}Sent by {{tenant}}{{/footer}}</small></html>",
        ])
        let welcome = try compile(.email, subject: "Welcome", body: [
            "html": "{{< layout}}{{$content}}<p>Hi {{name}}</p>{{/content}}{{/layout}}",
            "locales": ["de": ["html": "{{< layout}}{{$lang}}de{{/lang}}{{$content}}<p>Hallo {{name}}</p>{{/content}}{{$footer}}Von {{tenant}}{{/footer}}{{/layout}}"]],
        ])
        let partials = TemplateDictionary(["layout": layout])
        let variables: JSONValue = ["tenant": "T&T", "name": "Ana"]
        let english = try welcome.render(variables: variables, partials: partials)
        #expect(english.html == "<html lang=\"en\"><h1>T&amp;T</h1><p>Hi Ana</p><small>Sent by T&amp;T</small></html>")
        #expect(english.text == "T&T\n\nHi Ana\n\nSent by T&T")
        let german = try welcome.render(variables: variables, locale: "de-DE", partials: partials)
        #expect(german.html == "<html lang=\"de\"><h1>T&amp;T</h1><p>Hallo Ana</p><small>Von T&amp;T</small></html>")
    }

    @Test func partialsFollowTheRenderLocale() throws {
        let footer = try compile(.email, body: [
            "html": "<i>Bye</i>",
            "locales": ["de": ["html": "<i>Tschüss</i>"], "de-AT": ["html": "<i>Baba</i>"]],
        ])
        let mail = try compile(.email, body: ["html": "A {{> footer}}", "locales": ["de": ["html": "B {{> footer}}"]]])
        let partials = TemplateDictionary(["footer": footer])
        #expect(try mail.render(variables: [:], locale: "de", partials: partials).html == "B <i>Tschüss</i>")
        #expect(try mail.render(variables: [:], locale: "de-AT", partials: partials).html == "B <i>Tschüss</i>")
        #expect(try mail.render(variables: [:], locale: "fr", partials: partials).html == "A <i>Bye</i>")
        // A template with the region itself passes it on to its partials.
        let regional = try compile(.email, body: ["html": "A {{> footer}}", "locales": ["de-AT": ["subject": "S"]]])
        #expect(try regional.render(variables: [:], locale: "de-AT", partials: partials).html == "A <i>Baba</i>")
    }

    @Test func unknownPartialNamesPartAndPosition() throws {
        let mail = try compile(.email, subject: "ok", body: ["html": "<p>\n  {{> missing}}</p>"])
        #expect(renderError(mail) == "body.html:2:3: unknown partial \"missing\"")
        let german = try compile(.email, body: ["html": "x", "locales": ["de": ["text": "{{> nope}}"]]])
        #expect(renderError(german) == nil)
        #expect(renderError(german, locale: "de") == "body.locales.de.text:1:1: unknown partial \"nope\"")
        let push = try compile(.push, body: ["title": "t", "text": "x", "data": ["a": "{{> gone}}"]])
        #expect(renderError(push) == "body.data:1:1: unknown partial \"gone\" (in /a)")
    }

    @Test func unknownLayoutAndNestedPartialAreErrors() throws {
        let mail = try compile(.email, body: ["html": "{{< layout}}{{/layout}}"])
        #expect(renderError(mail) == "body.html:1:1: unknown partial \"layout\"")
        let outer = try compile(.email, body: ["html": "[{{> inner}}]"])
        let nested = try compile(.email, body: ["html": "x\n {{> outer}}"])
        #expect(renderError(nested, partials: ["outer": outer]) == "body.html:2:2: unknown partial \"inner\"")
    }

    @Test func unresolvedPartialsAreFoundWithoutRendering() throws {
        let mail = try compile(.email, body: [
            "html": "{{#never}}{{> hidden}}{{/never}}{{> footer}}",
            "locales": ["de": ["subject": "{{> absent}}"]],
        ])
        let footer = try compile(.email, body: ["html": "{{> deeper}}"])
        let found = mail.unresolvedPartials(in: TemplateDictionary(["footer": footer])).map(\.description)
        #expect(found == [
            "body.html:1:11: unknown partial \"hidden\"",
            "body.locales.de.subject:1:1: unknown partial \"absent\"",
        ])
        // One issue per part: the first name that does not resolve, followed into partials.
        let viaFooter = try compile(.email, body: ["html": "{{> footer}}"])
        #expect(viaFooter.unresolvedPartials(in: TemplateDictionary(["footer": footer])).map(\.description)
            == ["body.html:1:1: unknown partial \"deeper\" (in partial \"footer\")"])
    }

    @Test func recursionStopsAtTheDepthLimit() throws {
        let loop = try compile(.email, body: ["html": "<{{> loop}}>"])
        let error = try #require(renderError(loop, partials: ["loop": loop]))
        #expect(error.hasPrefix("body.html:1:2: partials nested deeper than 20 levels"))
    }

    @Test func missingVariablesIncludePartials() throws {
        let footer = try compile(.email, body: ["html": "{{company}} {{address}}"])
        let mail = try compile(.email, body: ["html": "{{name}} {{> footer}} {{company}}"])
        let message = try mail.render(variables: ["address": "here"], partials: TemplateDictionary(["footer": footer]))
        #expect(message.missingVariables == ["name", "company"])
    }

    @Test func dictionaryPrefersTheRenderedType() throws {
        let email = try compile(.email, body: ["html": "<b>email</b>"])
        let sms = try compile(.sms, body: ["text": "sms"])
        let push = try compile(.push, body: ["title": "push", "text": "push"])
        let candidates = [(name: "x", template: push), (name: "x", template: sms), (name: "x", template: email)]
        #expect(TemplateDictionary(candidates, preferring: .sms).template(named: "x")?.type == .sms)
        #expect(TemplateDictionary(candidates, preferring: .chat).template(named: "x")?.type == .email)
        #expect(TemplateDictionary(Array(candidates.prefix(2)), preferring: .chat).template(named: "x")?.type == .push)
    }
}
