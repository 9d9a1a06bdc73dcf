/// One channel's circuit breaker, as one worker sees it: a pure state
/// machine with time passed in, so it is tested without sleeping.
///
/// - closed: sends go through. `failures` provider failures (`DeliveryError.
///   pointsAtProvider`), each within `window` of the one before and with no
///   success between them, open it.
/// - open: sends skip the channel until `retryAt` (opened + `cooldown`).
/// - half-open: after `retryAt` one send, the probe, goes through while the
///   others still skip; its success closes the circuit, its failure opens it
///   again for another cool-down.
///
/// A failure that points at the message (SMTP 5xx, HTTP 4xx) proves the
/// provider answers, so it counts as a success here.
public struct CircuitBreaker: Sendable, Equatable {
    public struct Settings: Sendable, Equatable {
        /// Provider failures in a row that open the circuit (`HERALD_CIRCUIT_FAILURES`).
        public var failures: Int
        /// The most time between two of those failures (`HERALD_CIRCUIT_WINDOW_MS`).
        public var window: Duration
        /// How long an open circuit skips the channel before a probe (`HERALD_CIRCUIT_COOLDOWN_MS`).
        public var cooldown: Duration

        public init(failures: Int = 5, window: Duration = .seconds(60), cooldown: Duration = .seconds(30)) {
            precondition(failures > 0 && window > .zero && cooldown > .zero, "invalid circuit settings")
            self.failures = failures
            self.window = window
            self.cooldown = cooldown
        }
    }

    public enum State: String, Sendable { case closed, open, halfOpen = "half_open" }

    /// What a send may do now.
    public enum Admission: Sendable, Equatable {
        case send
        /// The one send of a half-open circuit: report its result.
        case probe
        /// Skip the channel; it may be tried again at this time.
        case skip(until: ContinuousClock.Instant)
    }

    public let settings: Settings
    public private(set) var state: State = .closed
    /// Provider failures in a row (closed), or since the circuit opened.
    public private(set) var failures = 0
    public private(set) var lastFailure: ContinuousClock.Instant?
    public private(set) var openedAt: ContinuousClock.Instant?
    public private(set) var retryAt: ContinuousClock.Instant?
    /// While half-open: whether the probe is out.
    public private(set) var probing = false
    public private(set) var lastError: String?

    public init(settings: Settings) { self.settings = settings }

    /// Whether a send may go through the channel now. A probe is handed out
    /// once; a probe that never reports (its worker lost it) is given out
    /// again after another cool-down.
    public mutating func admit(now: ContinuousClock.Instant) -> Admission {
        switch state {
        case .closed:
            return .send
        case .open:
            guard let retryAt, now >= retryAt else { return .skip(until: retryAt ?? now) }
            state = .halfOpen
            probing = true
            self.retryAt = now + settings.cooldown
            return .probe
        case .halfOpen:
            if probing, let retryAt, now < retryAt { return .skip(until: retryAt) }
            probing = true
            retryAt = now + settings.cooldown
            return .probe
        }
    }

    /// The provider answered (a send succeeded, or failed for the message's
    /// sake). Answers true when the state changed (to record it).
    public mutating func succeeded() -> Bool {
        let changed = state != .closed
        state = .closed
        failures = 0
        lastFailure = nil
        openedAt = nil
        retryAt = nil
        probing = false
        if changed { lastError = nil }
        return changed
    }

    /// A send failed in a way that points at the provider. Answers true when
    /// the state changed (the circuit opened, or a probe failed).
    public mutating func failed(now: ContinuousClock.Instant, error: String) -> Bool {
        lastError = error
        switch state {
        case .closed:
            if let lastFailure, now - lastFailure > settings.window { failures = 0 }
            failures += 1
            lastFailure = now
            guard failures >= settings.failures else { return false }
            open(now: now)
            return true
        case .open:
            // A send admitted before the circuit opened, ending now.
            failures += 1
            lastFailure = now
            return false
        case .halfOpen:
            failures += 1
            lastFailure = now
            open(now: now)
            return true
        }
    }

    private mutating func open(now: ContinuousClock.Instant) {
        state = .open
        openedAt = now
        retryAt = now + settings.cooldown
        probing = false
    }
}
