import Delivery

/// Where the next attempt goes after a failed one, along the channel's chain
/// (the channel, then its `fallbackChannelIds`). Pure, like `FailureDecision`
/// which it builds on, so the policy is tested without providers or a clock.
///
/// - A failure that points at the provider (`DeliveryError.pointsAtProvider`)
///   moves the next attempt to the next step whose circuit is not known to be
///   open, at once: no backoff, and a step is tried even when the attempts
///   are used up (the chain is at most six channels long).
/// - At the chain's end it starts over at step 0 after the usual backoff,
///   while attempts remain (also after a TLS failure: another step may work).
/// - A failure after the message was handed over pins the row to its step
///   for good: that provider may have it, and another would send it twice.
/// - Any other failure keeps the step, with the usual decision.
/// A chain of one channel decides exactly as `FailureDecision` (only the pin is remembered).
public struct FailoverDecision: Sendable, Equatable {
    public var decision: FailureDecision
    public var nextStep: Int
    public var pinned: Bool
    /// The next attempt goes to another channel at once.
    public var failedOver: Bool

    public init(decision: FailureDecision, nextStep: Int, pinned: Bool, failedOver: Bool) {
        self.decision = decision
        self.nextStep = nextStep
        self.pinned = pinned
        self.failedOver = failedOver
    }

    /// - Parameter isOpen: whether a step's circuit is open right now (skipped).
    public static func decide(_ error: any Error, step: Int, chainLength: Int, pinned: Bool, attempt: Int, maxAttempts: Int,
                              policy: BackoffPolicy, isOpen: (Int) -> Bool = { _ in false },
                              using generator: inout some RandomNumberGenerator) -> FailoverDecision {
        let base = FailureDecision.decide(error, attempt: attempt, maxAttempts: maxAttempts, policy: policy, using: &generator)
        let delivery = error as? DeliveryError
        // Pinned even in a chain of one: fallbacks added later must not take it either.
        if pinned || delivery?.afterHandOver == true {
            return FailoverDecision(decision: base, nextStep: step, pinned: true, failedOver: false)
        }
        guard chainLength > 1 else { return FailoverDecision(decision: base, nextStep: 0, pinned: false, failedOver: false) }
        guard let delivery, delivery.pointsAtProvider else {
            return FailoverDecision(decision: base, nextStep: step, pinned: false, failedOver: false)
        }
        if let next = (step + 1 ..< max(step + 1, chainLength)).first(where: { !isOpen($0) }) {
            return FailoverDecision(decision: FailureDecision(verdict: .retry(after: .zero), message: delivery.description),
                                    nextStep: next, pinned: false, failedOver: true)
        }
        if case .retry = base.verdict {
            return FailoverDecision(decision: base, nextStep: 0, pinned: false, failedOver: false)
        }
        guard attempt < maxAttempts else { return FailoverDecision(decision: base, nextStep: 0, pinned: false, failedOver: false) }
        let delay = policy.delay(afterAttempt: attempt, retryAfter: delivery.retryAfter, using: &generator)
        return FailoverDecision(decision: FailureDecision(verdict: .retry(after: delay), message: base.message),
                                nextStep: 0, pinned: false, failedOver: false)
    }

    public static func decide(_ error: any Error, step: Int, chainLength: Int, pinned: Bool, attempt: Int, maxAttempts: Int,
                              policy: BackoffPolicy, isOpen: (Int) -> Bool = { _ in false }) -> FailoverDecision {
        var generator = SystemRandomNumberGenerator()
        return decide(error, step: step, chainLength: chainLength, pinned: pinned, attempt: attempt, maxAttempts: maxAttempts,
                      policy: policy, isOpen: isOpen, using: &generator)
    }
}
