import Rendering
import Testing

@Suite struct GSM7Tests {
    @Test func basicCharactersCountOnce() {
        #expect(GSM7.septetCount("") == 0)
        #expect(GSM7.septetCount("Hello, world!") == 13)
        #expect(GSM7.septetCount("Grüße aus Köln: ÄÖÜ äöü ß é à ñ Ø å Δ Ω ¿¡ £$¥ @ § _") != nil)
        #expect(GSM7.septetCount("a\nb\r") == 4)
    }

    @Test func extensionCharactersCountTwice() {
        #expect(GSM7.septetCount("€") == 2)
        #expect(GSM7.septetCount("[]{}|~^\\") == 16)
        #expect(GSM7.septetCount("5 €") == 4)
    }

    @Test func otherCharactersAreNotGSM7() {
        for text in ["’", "“quoted”", "á", "ł", "👋", "ç", "\t", "`"] {
            #expect(GSM7.septetCount(text) == nil, "\(text)")
        }
        #expect(GSM7.unsupportedCharacters(in: "It’s ł and ’ again") == ["’", "ł"])
        #expect(GSM7.unsupportedCharacters(in: "plain") == [])
    }
}
