import Delivery
import HeraldTestSupport
import Testing
import Worker

/// The circuit breaker and the failover policy as pure values: time is
/// passed in, nothing sleeps.
@Suite struct CircuitBreakerTests {
    let settings = CircuitBreaker.Settings(failures: 3, window: .seconds(10), cooldown: .seconds(30))
    let t0 = ContinuousClock.now

    @Test func failuresInARowOpenItAndItSkipsUntilTheCooldown() {
        var breaker = CircuitBreaker(settings: settings)
        var opened = [breaker.failed(now: t0, error: "refused"), breaker.failed(now: t0 + .seconds(1), error: "refused")]
        let admitted = breaker.admit(now: t0 + .seconds(1))
        opened.append(breaker.failed(now: t0 + .seconds(2), error: "refused"))
        #expect(opened == [false, false, true], "the third failure opens it")
        #expect(admitted == .send)
        #expect(breaker.state == .open)
        #expect(breaker.retryAt == t0 + .seconds(32))
        let skipped = breaker.admit(now: t0 + .seconds(31))
        #expect(skipped == .skip(until: t0 + .seconds(32)))
    }

    @Test func aSuccessOrAGapLongerThanTheWindowStartsTheCountAgain() {
        var breaker = CircuitBreaker(settings: settings)
        _ = breaker.failed(now: t0, error: "e")
        _ = breaker.failed(now: t0, error: "e")
        let closedChanged = breaker.succeeded()
        #expect(!closedChanged, "closed stays closed: no change to record")
        let opened = [breaker.failed(now: t0, error: "e"), breaker.failed(now: t0, error: "e"),
                      breaker.failed(now: t0 + .seconds(11), error: "e")]
        #expect(opened == [false, false, false], "the third came more than the window after the last one")
        #expect(breaker.state == .closed && breaker.failures == 1)
    }

    @Test func afterTheCooldownOneProbeGoesOutAndItsSuccessCloses() {
        var breaker = CircuitBreaker(settings: settings)
        for _ in 0..<3 { _ = breaker.failed(now: t0, error: "e") }
        let later = t0 + .seconds(30)
        let probe = breaker.admit(now: later)
        #expect(probe == .probe)
        #expect(breaker.state == .halfOpen)
        let second = breaker.admit(now: later + .seconds(1))
        #expect(second == .skip(until: later + .seconds(30)), "one probe at a time")
        let closed = breaker.succeeded()
        #expect(closed, "closing is a change")
        #expect(breaker.state == .closed && breaker.failures == 0 && breaker.retryAt == nil)
        let after = breaker.admit(now: later + .seconds(1))
        #expect(after == .send)
    }

    @Test func aFailedProbeOpensItForAnotherCooldown() {
        var breaker = CircuitBreaker(settings: settings)
        for _ in 0..<3 { _ = breaker.failed(now: t0, error: "e") }
        let probe = breaker.admit(now: t0 + .seconds(30))
        let reopened = breaker.failed(now: t0 + .seconds(31), error: "still down")
        #expect(probe == .probe && reopened)
        #expect(breaker.state == .open && breaker.lastError == "still down")
        let during = breaker.admit(now: t0 + .seconds(60))
        let next = breaker.admit(now: t0 + .seconds(61))
        #expect(during == .skip(until: t0 + .seconds(61)) && next == .probe)
    }

    @Test func aProbeThatNeverReportsIsGivenOutAgainAfterACooldown() {
        var breaker = CircuitBreaker(settings: settings)
        for _ in 0..<3 { _ = breaker.failed(now: t0, error: "e") }
        let first = breaker.admit(now: t0 + .seconds(30))
        let again = breaker.admit(now: t0 + .seconds(60))
        #expect(first == .probe && again == .probe)
    }

    // MARK: - Failover decisions

    let policy = BackoffPolicy(base: .seconds(10), multiplier: 2, maximum: .seconds(60))
    var refused: DeliveryError { DeliveryError(.connect, "connect to 127.0.0.1:1: Connection refused") }

    func decide(_ error: any Error, step: Int = 0, length: Int = 3, pinned: Bool = false, attempt: Int = 1,
                maxAttempts: Int = 8, isOpen: (Int) -> Bool = { _ in false }) -> FailoverDecision {
        var generator = SeededGenerator(state: 7)
        return FailoverDecision.decide(error, step: step, chainLength: length, pinned: pinned, attempt: attempt,
                                       maxAttempts: maxAttempts, policy: policy, isOpen: isOpen, using: &generator)
    }

    @Test func providerFailuresMoveToTheNextStepAtOnce() {
        for error in [refused, DeliveryError(.timeout, "t"), DeliveryError(.tls, "t"), DeliveryError(.protocol, "p"),
                      DeliveryError(.transient, "421", replyCode: 421), DeliveryError(.transient, "503")] {
            #expect(error.pointsAtProvider)
            let decision = decide(error)
            #expect(decision.decision.verdict == .retry(after: .zero) && decision.nextStep == 1 && decision.failedOver, "\(error)")
        }
        #expect(decide(refused, step: 0, isOpen: { $0 == 1 }).nextStep == 2, "an open step is passed over")
        #expect(decide(refused, attempt: 8, maxAttempts: 8).decision.verdict == .retry(after: .zero),
                "each step is tried even with the attempts used up")
    }

    @Test func atTheChainsEndItStartsOverAfterTheBackoff() {
        let decision = decide(refused, step: 2)
        #expect(decision.nextStep == 0 && !decision.failedOver)
        guard case .retry(let delay) = decision.decision.verdict else { Issue.record("\(decision)"); return }
        #expect(delay > .zero)
        #expect(decide(refused, step: 0, isOpen: { $0 > 0 }).nextStep == 0, "every later step open: back to the start")
        #expect(decide(DeliveryError(.tls, "t"), step: 2).decision.verdict != .fail, "another step may still work")
        #expect(decide(refused, step: 2, attempt: 8, maxAttempts: 8).decision.verdict == .fail)
    }

    @Test func messageFailuresAndHandedOverMessagesDoNotFailOver() {
        let rcpt = DeliveryError(.permanent, "RCPT TO <a@example.com>: server replied 550", replyCode: 550)
        #expect(!rcpt.pointsAtProvider)
        #expect(decide(rcpt) == FailoverDecision(decision: FailureDecision(verdict: .fail, message: rcpt.description),
                                                 nextStep: 0, pinned: false, failedOver: false))
        #expect(!DeliveryError(.invalidMessage, "no recipients").pointsAtProvider)

        let lost = DeliveryError(.timeout, "reading the reply timed out").handedOver()
        #expect(!lost.pointsAtProvider)
        let decision = decide(lost, step: 1)
        #expect(decision.nextStep == 1 && decision.pinned && !decision.failedOver)
        guard case .retry(let delay) = decision.decision.verdict else { Issue.record("\(decision)"); return }
        #expect(delay > .zero, "the usual backoff, on the same channel")
        #expect(decide(refused, step: 1, pinned: true).nextStep == 1, "a pinned row never leaves its step")
    }

    @Test func aSingleChannelDecidesAsBefore() {
        var generator = SeededGenerator(state: 7)
        let before = FailureDecision.decide(refused, attempt: 2, maxAttempts: 8, policy: policy, using: &generator)
        let now = decide(refused, length: 1, attempt: 2)
        #expect(now.decision == before && now.nextStep == 0 && !now.failedOver && !now.pinned)
        let lost = decide(DeliveryError(.timeout, "no reply to the final dot").handedOver(), length: 1, attempt: 2)
        #expect(lost.pinned, "fallbacks added to the channel later must not take it either")
    }
}
