internal import COpenSSL

/// The one error type of this module. Messages describe what was wrong with
/// the input's shape, never its content: no keys, tokens, plaintexts or
/// passwords ever end up here, so errors are safe to log.
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A key had the wrong length or encoding.
        case invalidKey = "invalid_key"
        /// Input could not be decoded (bad base64, truncated box, bad PEM...).
        case malformedInput = "malformed_input"
        /// AEAD tag mismatch: wrong key, wrong associated data, or tampering.
        case authenticationFailed = "authentication_failed"
        /// A sealed token names a format version we do not know.
        case unsupportedVersion = "unsupported_version"
        /// JWT structure or claim types are invalid.
        case malformedToken = "malformed_token"
        /// JWT header names an algorithm other than the one we accept.
        case unsupportedAlgorithm = "unsupported_algorithm"
        /// JWT signature did not verify.
        case invalidSignature = "invalid_signature"
        /// JWT `exp` is in the past (beyond leeway).
        case tokenExpired = "token_expired"
        /// JWT `nbf` is in the future (beyond leeway).
        case tokenNotYetValid = "token_not_yet_valid"
        /// OpenSSL itself failed (allocation, provider missing...).
        case internalFailure = "internal_failure"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "CryptoError(\(code.rawValue)): \(message)" }

    /// Wraps the OpenSSL error queue into an internal failure and clears it,
    /// so a stale error never leaks into an unrelated later call.
    static func openSSL(_ operation: String) -> CryptoError {
        var detail = ""
        let code = ERR_get_error()
        if code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            detail = ": " + String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        ERR_clear_error()
        return CryptoError(.internalFailure, "\(operation) failed\(detail)")
    }
}

/// For operations whose only failure mode is OpenSSL breaking underneath us
/// (out of memory, RNG unavailable). Those are not recoverable per request,
/// and keeping the happy-path APIs non-throwing keeps call sites honest.
func opensslInvariant(_ ok: Bool, _ operation: @autoclosure () -> String) {
    if !ok { fatalError(CryptoError.openSSL(operation()).description) }
}

/// Runs `body` with a pointer that is never nil, even for an empty array:
/// several OpenSSL entry points treat a NULL pointer specially (HMAC reuses
/// the previous key, scrypt rejects it), which is not what "empty" means.
func withNonNullBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>, Int) throws -> R) rethrows -> R {
    if bytes.isEmpty {
        var zero: UInt8 = 0
        return try withUnsafePointer(to: &zero) { try body($0, 0) }
    }
    return try bytes.withUnsafeBufferPointer { try body($0.baseAddress!, $0.count) }
}

/// True when this thread's OpenSSL error queue is empty. Tests use it to
/// check that no call leaves stale errors behind for unrelated code
/// (SSL_get_error, for one, consults the queue).
func openSSLErrorQueueIsEmpty() -> Bool {
    ERR_peek_error() == 0
}
