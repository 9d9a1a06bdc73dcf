import Basics
import Foundation

/// When a failed attempt is tried again: exponential backoff with full jitter
/// (a uniformly random wait between zero and the attempt's ceiling), so
/// messages that failed together against one provider do not retry together.
/// A provider's `Retry-After` is a floor: never retry sooner than it asked.
///
/// With the defaults the ceilings after attempts 1…7 are 80 s, 4 min, 12 min,
/// 36 min, 1.8 h, 5.4 h and 16.2 h: eight attempts spread over about a day.
public struct BackoffPolicy: Sendable, Equatable {
    public var base: Duration
    public var multiplier: Double
    /// No single wait is longer than this, whatever the attempt or Retry-After.
    public var maximum: Duration

    public init(base: Duration = .seconds(80), multiplier: Double = 3, maximum: Duration = .seconds(86_400)) {
        precondition(base > .zero && multiplier >= 1 && maximum >= base, "invalid backoff policy")
        self.base = base
        self.multiplier = multiplier
        self.maximum = maximum
    }

    /// The longest wait after failed attempt `attempt` (1 for the first).
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        let exponent = Double(max(0, attempt - 1))
        let seconds = base.seconds * pow(multiplier, exponent)
        return seconds >= maximum.seconds ? maximum : .milliseconds(Int64(seconds * 1000))
    }

    /// The wait before the next attempt: uniform in [0, ceiling], raised to
    /// `retryAfter` when the provider asked for longer (capped at `maximum`).
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil,
                      using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = ceiling(afterAttempt: attempt).wholeMilliseconds
        let jittered = Duration.milliseconds(Int64.random(in: 0...ceiling, using: &generator))
        guard let retryAfter, retryAfter > jittered else { return jittered }
        return min(retryAfter, maximum)
    }

    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, retryAfter: retryAfter, using: &generator)
    }
}


