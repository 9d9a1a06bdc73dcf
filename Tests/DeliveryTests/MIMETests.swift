import Foundation
import Testing
import Crypto
@testable import Delivery

@Suite struct QuotedPrintableTests {
    @Test func encodesEqualsNonASCIIAndTrailingWhitespace() {
        let encoded = String(decoding: MIME.QuotedPrintable.encode("a=b é \nend\t"), as: UTF8.self)
        #expect(encoded == "a=3Db =C3=A9=20\r\nend=09")
    }

    @Test func softBreaksKeepLinesWithin76AndNeverSplitEscapes() {
        for length in [70, 75, 76, 77, 150, 151, 152, 300] {
            for filler in ["x", "é", "=", " x", "xé"] {
                let text = String(repeating: filler, count: length / filler.count) + "\nsecond line ."
                let encoded = MIME.QuotedPrintable.encode(text)
                let lines = String(decoding: encoded, as: UTF8.self).components(separatedBy: "\r\n")
                #expect(lines.allSatisfy { $0.utf8.count <= 76 }, "\(length) \(filler)")
                #expect(lines.allSatisfy { !$0.hasSuffix(" ") && !$0.hasSuffix("\t") })
                let decoded = MIME.QuotedPrintable.decode(encoded)
                #expect(decoded == Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
            }
        }
    }

    @Test func exactly76CharactersNeedNoSoftBreak() {
        let text = String(repeating: "a", count: 76)
        #expect(MIME.QuotedPrintable.encode(text) == Array(text.utf8))
        let longer = String(decoding: MIME.QuotedPrintable.encode(text + "b"), as: UTF8.self)
        #expect(longer == String(repeating: "a", count: 75) + "=\r\nab")
    }

    @Test func lineBreakStylesNormaliseToCRLF() {
        let encoded = MIME.QuotedPrintable.encode("a\rb\r\nc\nd")
        #expect(encoded == Array("a\r\nb\r\nc\r\nd".utf8))
    }

    @Test func decodeRejectsMalformedEscapes() {
        #expect(MIME.QuotedPrintable.decode(Array("a=4".utf8)) == nil)
        #expect(MIME.QuotedPrintable.decode(Array("a=ZZb".utf8)) == nil)
        #expect(MIME.QuotedPrintable.decode(Array("a=3d=\r\nb  \r\nc".utf8)) == Array("a=b\r\nc".utf8))
    }

    @Test func choosesBase64OnlyForHeavyNonASCII() {
        #expect(MIME.TransferEncoding.choose(for: Array("Hello Jörg, your order shipped.".utf8)) == .quotedPrintable)
        #expect(MIME.TransferEncoding.choose(for: Array("Здравствуйте, ваш заказ отправлен".utf8)) == .base64)
        #expect(MIME.TransferEncoding.choose(for: Array("ご注文の商品を発送しました".utf8)) == .base64)
        let encoded = MIME.TransferEncoding.base64.encode(text: Array(String(repeating: "Привет\n", count: 40).utf8))
        let lines = String(decoding: encoded, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
        #expect(Base64.decode(lines.joined()) == Array(String(repeating: "Привет\r\n", count: 40).utf8))
    }
}

@Suite struct EncodedWordTests {
    @Test func plainASCIISubjectIsKeptAndFoldedAtSpaces() {
        let value = (1...30).map { "word\($0)" }.joined(separator: " ")
        let field = MIME.EncodedWord.unstructuredField(name: "Subject", value: value)
        let lines = field.components(separatedBy: "\r\n")
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        #expect(field.replacingOccurrences(of: "\r\n", with: "") == "Subject: " + value)
    }

    @Test func unfoldingGivesBackRunsOfSpaces() {
        let value = "a  b   " + String(repeating: "x", count: 60) + "    c"
        let field = MIME.EncodedWord.unstructuredField(name: "Subject", value: value)
        #expect(field.replacingOccurrences(of: "\r\n", with: "") == "Subject: " + value)
    }

    @Test func nonASCIIBecomesEncodedWordsThatDecodeBack() {
        let value = "Ihre Bestellung für Jörg — 注文 🚀 " + String(repeating: "ü", count: 80)
        let field = MIME.EncodedWord.unstructuredField(name: "Subject", value: value)
        let lines = field.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(decodeEncodedWords(String(field.dropFirst("Subject: ".count))) == value)
    }

    @Test func textLookingLikeAnEncodedWordIsEncoded() {
        let field = MIME.EncodedWord.unstructuredField(name: "Subject", value: "=?UTF-8?B?SGk=?=")
        #expect(field.hasPrefix("Subject: =?UTF-8?B?PT9"))
    }

    @Test func overlongWordIsEncodedToStayWithin78() {
        let value = String(repeating: "y", count: 200)
        let field = MIME.EncodedWord.unstructuredField(name: "X-Token", value: value)
        #expect(field.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(decodeEncodedWords(String(field.dropFirst("X-Token: ".count))) == value)
    }

    @Test func encodedWordsNeverSplitAScalar() {
        for word in MIME.EncodedWord.encode(String(repeating: "€🚀", count: 40)) {
            #expect(word.utf8.count <= 75)
            let payload = String(word.dropFirst(10).dropLast(2))
            #expect(Base64.decode(payload).flatMap { String(validating: $0, as: UTF8.self) } != nil)
        }
    }
}

/// Decodes a header value made of B encoded-words separated by folding
/// whitespace (what the builder produces), independent of the encoder.
func decodeEncodedWords(_ value: String) -> String? {
    var bytes: [UInt8] = []
    for word in value.split(whereSeparator: \.isWhitespace) {
        guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?="),
              let decoded = Base64.decode(String(word.dropFirst(10).dropLast(2))) else { return nil }
        bytes += decoded
    }
    return String(validating: bytes, as: UTF8.self)
}
