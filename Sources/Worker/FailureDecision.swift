import Delivery
import Store

/// A problem found before any provider was called: no template, a render
/// error, no channel or provider. Permanent ones fail the notification at
/// once; the others (the database was unreachable) are retried.
public struct PreparationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let isPermanent: Bool

    public init(_ message: String, permanent: Bool = true) {
        self.message = message
        self.isPermanent = permanent
    }

    public var description: String { message }
}

/// What becomes of a failed attempt: retried later, or failed for good.
/// Pure, so the policy is tested without a database or a clock.
public struct FailureDecision: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        case retry(after: Duration)
        case fail
    }

    public var verdict: Verdict
    /// For `last_error` and the attempt row: codes, hosts, reply texts; never
    /// bodies or secrets (DeliveryError and the store's errors keep them out).
    public var message: String

    public init(verdict: Verdict, message: String) {
        self.verdict = verdict
        self.message = message
    }

    /// Transient errors (timeouts, connection failures, SMTP 4xx, HTTP
    /// 408/429/5xx, an unreachable database) retry with `policy` while
    /// attempts remain; permanent ones (SMTP 5xx, HTTP 4xx, bad settings,
    /// missing templates) fail at once.
    public static func decide(_ error: any Error, attempt: Int, maxAttempts: Int, policy: BackoffPolicy,
                              using generator: inout some RandomNumberGenerator) -> FailureDecision {
        let retryable: Bool
        let retryAfter: Duration?
        let message: String
        switch error {
        case let error as DeliveryError:
            (retryable, retryAfter, message) = (error.isRetryable, error.retryAfter, error.description)
        case let error as PreparationError:
            (retryable, retryAfter, message) = (!error.isPermanent, nil, error.message)
        case is CancellationError:
            (retryable, retryAfter, message) = (true, nil, "the send was cancelled")
        case let error where Store.databaseErrorMessage(error) != nil:
            (retryable, retryAfter, message) = (true, nil, Store.databaseErrorMessage(error) ?? "database")
        default:
            // Unknown errors are treated as transient: a bounded number of
            // retries is cheaper than losing a message to a misclassification.
            (retryable, retryAfter, message) = (true, nil, String(describing: error))
        }
        guard retryable else { return FailureDecision(verdict: .fail, message: message) }
        guard attempt < maxAttempts else {
            return FailureDecision(verdict: .fail, message: "gave up after \(attempt) attempts: \(message)")
        }
        let delay = policy.delay(afterAttempt: attempt, retryAfter: retryAfter, using: &generator)
        return FailureDecision(verdict: .retry(after: delay), message: message)
    }

    public static func decide(_ error: any Error, attempt: Int, maxAttempts: Int, policy: BackoffPolicy) -> FailureDecision {
        var generator = SystemRandomNumberGenerator()
        return decide(error, attempt: attempt, maxAttempts: maxAttempts, policy: policy, using: &generator)
    }
}
