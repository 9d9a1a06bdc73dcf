import Basics
/// The one error type of the Delivery module. `code` says what kind of failure
/// it was; `isPermanent`/`isRetryable` turn that into the retry decision the
/// worker makes, so callers never parse messages or reply texts.
///
/// Messages name hosts, ports, SMTP reply texts and OpenSSL reasons, never
/// passwords or message bodies, so they are safe to log and to store with a
/// failed attempt.
public struct DeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// TCP connect failed (refused, unreachable, DNS): retryable.
        case connect
        /// A connect, read or write deadline passed: retryable.
        case timeout
        /// TLS failed: handshake, certificate verification, host name, or a
        /// server that does not offer STARTTLS when it was required. Not
        /// retried automatically: these are configuration problems.
        case tls
        /// The server broke the protocol (malformed or oversized replies,
        /// unexpected codes, closed mid-reply): retryable, it may be a
        /// transient fault of an overloaded server.
        case `protocol`
        /// A 4xx reply, or the connection dropped mid-transaction: retryable.
        case transient
        /// A 5xx reply (including 535 authentication failure): not retryable.
        case permanent
        /// The message itself cannot be sent as given (CR/LF in a header or
        /// address, no body, no recipients, too large): found before any
        /// byte is sent, and never retryable.
        case invalidMessage = "invalid_message"
    }

    public let code: Code
    /// The SMTP reply code that caused the error, when there was one.
    public let replyCode: Int?
    public let message: String
    /// How long the provider asked us to wait before trying again (an HTTP
    /// `Retry-After`), so the worker's backoff can honour it. Nil when the
    /// provider said nothing.
    public var retryAfter: Duration?
    /// Set when the failure came after the whole message was handed over
    /// (no reply to SMTP's final "." or to a sent HTTP request): the
    /// provider may have accepted it, so it must not be sent elsewhere
    /// (see `pointsAtProvider`).
    public var afterHandOver = false

    public init(_ code: Code, _ message: String, replyCode: Int? = nil, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.replyCode = replyCode
        self.retryAfter = retryAfter
    }

    /// An error built from an SMTP reply: 5xx is permanent, anything else
    /// (4xx, or a code the command did not expect) is transient.
    public static func reply(_ reply: SMTPReply, during step: String) -> DeliveryError {
        let code: Code = reply.isPermanentFailure ? .permanent : .transient
        return DeliveryError(code, "\(step): server replied \(reply.summary)", replyCode: reply.code)
    }

    /// Whether the same send may succeed later without anyone changing
    /// configuration or the message.
    public var isRetryable: Bool {
        switch code {
        case .connect, .timeout, .protocol, .transient: return true
        case .tls, .permanent, .invalidMessage: return false
        }
    }

    /// The complement of `isRetryable`: the attempt should be marked failed for good.
    public var isPermanent: Bool { !isRetryable }

    public var description: String {
        let reply = replyCode.map { " [\($0)]" } ?? ""
        let wait = retryAfter.map { " (retry after \($0.components.seconds)s)" } ?? ""
        return "DeliveryError(\(code.rawValue))\(reply): \(message)\(wait)"
    }
}
