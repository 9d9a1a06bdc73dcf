import Delivery
import HeraldTestSupport
import JSON
import Postgres
import Testing
@testable import Worker

/// The pure parts: backoff, the retry decision, lease bookkeeping, recipients.
@Suite struct PolicyTests {
    @Test func backoffCeilingsGrowToAboutADayOverEightAttempts() {
        let policy = BackoffPolicy()
        let ceilings = (1...7).map { policy.ceiling(afterAttempt: $0) }
        #expect(ceilings[0] == .seconds(80))
        #expect(ceilings[1] == .seconds(240))
        for (a, b) in zip(ceilings, ceilings.dropFirst()) { #expect(b > a) }
        let total = ceilings.reduce(Duration.zero, +)
        #expect(total > .seconds(20 * 3600) && total < .seconds(28 * 3600), "eight attempts span about a day: \(total)")
        #expect(policy.ceiling(afterAttempt: 40) == policy.maximum)
    }

    @Test func fullJitterStaysWithinBoundsAndSpreadsOverThem() {
        let policy = BackoffPolicy()
        var generator = SeededGenerator(state: 42)
        for attempt in 1...7 {
            let ceiling = policy.ceiling(afterAttempt: attempt)
            let draws = (0..<2000).map { _ in policy.delay(afterAttempt: attempt, using: &generator) }
            #expect(draws.allSatisfy { $0 >= .zero && $0 <= ceiling })
            // Full jitter: uniform over [0, ceiling], so draws reach both ends and average half.
            let mean = draws.map(\.seconds).reduce(0, +) / Double(draws.count)
            #expect(abs(mean / ceiling.seconds - 0.5) < 0.05)
            #expect(draws.contains { $0 < ceiling * 0.05 } && draws.contains { $0 > ceiling * 0.95 })
        }
    }

    @Test func retryAfterIsAFloorCappedAtTheMaximum() {
        let policy = BackoffPolicy(base: .seconds(1), multiplier: 2, maximum: .seconds(3600))
        var generator = SeededGenerator(state: 7)
        for _ in 0..<200 {
            let delay = policy.delay(afterAttempt: 1, retryAfter: .seconds(30), using: &generator)
            #expect(delay == .seconds(30), "the provider asked for 30 s; jitter alone would be at most 1 s")
        }
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(90_000), using: &generator) == .seconds(3600))
        // A Retry-After shorter than the jittered wait changes nothing.
        let long = policy.delay(afterAttempt: 10, retryAfter: .milliseconds(1), using: &generator)
        #expect(long <= policy.ceiling(afterAttempt: 10))
    }

    @Test func transientErrorsRetryPermanentOnesFailAtOnce() {
        let policy = BackoffPolicy(base: .seconds(10), multiplier: 2, maximum: .seconds(1000))
        var generator = SeededGenerator(state: 1)
        func decide(_ error: any Error, attempt: Int = 1, max: Int = 8) -> FailureDecision {
            FailureDecision.decide(error, attempt: attempt, maxAttempts: max, policy: policy, using: &generator)
        }
        for code in [DeliveryError.Code.timeout, .connect, .transient, .protocol] {
            guard case .retry(let after) = decide(DeliveryError(code, "x")).verdict else {
                Issue.record("\(code) should retry")
                continue
            }
            #expect(after <= .seconds(10))
        }
        for code in [DeliveryError.Code.permanent, .tls, .invalidMessage] {
            #expect(decide(DeliveryError(code, "550 no such user", replyCode: 550)).verdict == .fail)
        }
        #expect(decide(DeliveryError(.transient, "429", retryAfter: .seconds(120))).verdict == .retry(after: .seconds(120)))
        // The last attempt gives up, saying so.
        let last = decide(DeliveryError(.timeout, "read timed out"), attempt: 8, max: 8)
        #expect(last.verdict == .fail && last.message.hasPrefix("gave up after 8 attempts"))
        #expect(decide(PreparationError("no template")).verdict == .fail)
        #expect(decide(PreparationError("channel vanished", permanent: false)).verdict != .fail)
        #expect(decide(PostgresError(.connectionLost, "server closed the connection")).verdict != .fail)
    }

    @Test func recipientsInEveryStoredShape() {
        let object: JSONValue = ["to": ["a@example.com", "b@example.com"], "cc": "c@example.com", "bcc": []]
        let parsed = MessageComposer.recipients(object)
        #expect(parsed.to == ["a@example.com", "b@example.com"] && parsed.cc == ["c@example.com"] && parsed.bcc.isEmpty)
        #expect(MessageComposer.recipients(["+15551234567"]).to == ["+15551234567"])
        #expect(MessageComposer.recipients("user-1").to == ["user-1"])
        #expect(MessageComposer.recipients([]).to.isEmpty)
    }
}
