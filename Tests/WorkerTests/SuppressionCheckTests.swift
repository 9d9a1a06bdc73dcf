import Store
import Testing
@testable import Worker

/// What the suppression list means for one row's recipients (SuppressionCheck).
@Suite struct SuppressionCheckTests {
    static func entry(_ address: String, _ reason: String = "hard_bounce") -> Store.SuppressedRecipient {
        Store.SuppressedRecipient(address: address, reason: reason)
    }

    @Test func noSuppressionSendsAsItIs() {
        let check = SuppressionCheck.decide(to: ["a@x.io"], cc: [], bcc: [], suppressed: [])
        #expect(check.verdict == .sendAll && check.skipped.isEmpty)
        // Suppressions that name none of the row's recipients change nothing either.
        #expect(SuppressionCheck.decide(to: ["a@x.io"], cc: [], bcc: [], suppressed: [Self.entry("b@x.io")]).verdict == .sendAll)
    }

    @Test func everyAddresseeSuppressedSendsNothingNotEvenTheCopies() {
        let check = SuppressionCheck.decide(to: ["A@X.io", "b@x.io"], cc: ["c@x.io"], bcc: [],
                                            suppressed: [Self.entry("a@x.io"), Self.entry("b@x.io", "complaint")])
        #expect(check.verdict == .sendNothing)
        #expect(check.skippedText == "A@X.io (hard_bounce), b@x.io (complaint)")
    }

    @Test func suppressedRecipientsAreLeftOutOfAMessageThatStillGoes() {
        let check = SuppressionCheck.decide(to: ["a@x.io", "B@x.io"], cc: ["c@x.io", "b@x.io"], bcc: ["d@x.io"],
                                            suppressed: [Self.entry("b@x.io"), Self.entry("d@x.io", "manual")])
        #expect(check.verdict == .sendOnly(to: ["a@x.io"], cc: ["c@x.io"], bcc: []))
        // Each address once, as the row wrote it first.
        #expect(check.skippedText == "B@x.io (hard_bounce), d@x.io (manual)")
    }

    @Test func aRowWithoutToIsJudgedByItsCopies() {
        let none = SuppressionCheck.decide(to: [], cc: ["c@x.io"], bcc: [], suppressed: [Self.entry("c@x.io")])
        #expect(none.verdict == .sendNothing)
        let some = SuppressionCheck.decide(to: [], cc: ["c@x.io"], bcc: ["d@x.io"], suppressed: [Self.entry("c@x.io")])
        #expect(some.verdict == .sendOnly(to: [], cc: [], bcc: ["d@x.io"]))
    }

    @Test func phoneNumbersMatchAsWritten() {
        let check = SuppressionCheck.decide(to: [" +4915112345678"], cc: [], bcc: [], suppressed: [Self.entry("+4915112345678")])
        #expect(check.verdict == .sendNothing)
    }
}
