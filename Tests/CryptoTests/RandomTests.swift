import Testing
@testable import Crypto

@Suite struct RandomTests {
    @Test func bytesHaveRequestedLengthAndVary() {
        #expect(SecureRandom.bytes(0) == [])
        #expect(SecureRandom.bytes(count: 33).count == 33)
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
    }

    @Test func uniformStaysInRangeAndCoversIt() {
        var seen = Set<Int>()
        for _ in 0..<2_000 {
            let value = SecureRandom.uniform(below: 10)
            #expect((0..<10).contains(value))
            seen.insert(value)
        }
        #expect(seen.count == 10)
        #expect(SecureRandom.uniform(below: 1) == 0)
        var generator = SecureRandomNumberGenerator()
        #expect((0..<5).contains(Int.random(in: 0..<5, using: &generator)))
    }

    @Test func identifierFormatAndUniqueness() {
        var ids = Set<String>()
        for _ in 0..<10_000 {
            let id = Identifier.make()
            #expect(Identifier.isValid(id), "bad id \(id)")
            ids.insert(id)
        }
        #expect(ids.count == 10_000)
        // Every base-36 character shows up: the alphabet mapping is complete.
        let used = Set(ids.flatMap { $0.dropFirst() })
        #expect(used == Set("0123456789abcdefghijklmnopqrstuvwxyz"))
    }

    @Test(arguments: [
        "", "c", "cabc", "C0123456789abcdefghijklmn", "d0123456789abcdefghijklmn",
        "c0123456789abcdefghijklm", "c0123456789abcdefghijklmno", "c0123456789ABCDEFGHIJKLMN",
        "c0123456789abcdefghijk-mn", "c0123456789abcdefghijk mn", "c0123456789abcdefghijklmé",
    ])
    func identifierRejects(_ id: String) {
        #expect(!Identifier.isValid(id))
    }

    @Test func identifierAcceptsWellFormed() {
        #expect(Identifier.isValid("c0123456789abcdefghijklmn"))
        #expect(Identifier.isValid("czzzzzzzzzzzzzzzzzzzzzzzz"))
    }

    @Test func verificationCodes() {
        var leadingZero = false
        for _ in 0..<2_000 {
            let code = VerificationCode.sixDigits()
            #expect(code.count == 6 && code.allSatisfy(\.isASCII) && code.allSatisfy(\.isNumber), "bad code \(code)")
            if code.hasPrefix("0") { leadingZero = true }
        }
        // P(no leading zero in 2000 draws) = 0.9^2000, effectively zero.
        #expect(leadingZero)
    }
}
