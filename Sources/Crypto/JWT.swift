import Foundation  // Date

/// JSON Web Tokens signed with HMAC-SHA256 (RFC 7519 / RFC 7515), and
/// nothing else: verification accepts only `alg: "HS256"`, so `none`,
/// asymmetric algorithms and algorithm-confusion tricks are refused outright.
public enum JWT {
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    public static let defaultLeeway: TimeInterval = 30
    /// Tokens longer than this are refused before any parsing.
    public static let maxTokenLength = 16 * 1024

    /// `{"alg":"HS256","typ":"JWT"}`, fixed so headers never vary.
    static let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    /// Signs `claims`, serialized as compact JSON with sorted keys.
    public static func signHS256(claims: [String: JWTClaimValue], secret: [UInt8]) -> String {
        signHS256(payload: JWTClaimValue.encode(claims), secret: secret)
    }

    public static func signHS256(claims: [String: JWTClaimValue], secret: String) -> String {
        signHS256(claims: claims, secret: Array(secret.utf8))
    }

    /// Signs raw payload bytes as given; they should be a JSON object.
    public static func signHS256(payload: [UInt8], secret: [UInt8]) -> String {
        precondition(!secret.isEmpty, "JWT secret must not be empty")
        let signingInput = header + "." + Base64URL.encode(payload)
        return signingInput + "." + Base64URL.encode(HMAC.sha256(key: secret, message: Array(signingInput.utf8)))
    }

    /// Checks structure, header `alg`, the signature (constant time), then
    /// `exp` and `nbf` against `now` with `leeway`. With `requireExpiration`
    /// a token without `exp` is refused. Errors carry codes such as
    /// `.unsupportedAlgorithm`, `.invalidSignature`, `.tokenExpired`.
    public static func verifyHS256(token: String, secret: [UInt8], now: Date = Date(),
                                   leeway: TimeInterval = defaultLeeway,
                                   requireExpiration: Bool = false) throws -> JWTPayload {
        guard !secret.isEmpty else { throw CryptoError(.invalidKey, "JWT secret must not be empty") }
        guard token.utf8.count <= maxTokenLength else { throw CryptoError(.malformedToken, "token is too long") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw CryptoError(.malformedToken, "token must have three dot-separated parts") }

        guard let headerBytes = Base64URL.decode(String(parts[0])),
              let header = JWTClaimValue.decodeObject(headerBytes) else {
            throw CryptoError(.malformedToken, "token header is not base64url-encoded JSON")
        }
        guard header["alg"] == .string("HS256") else {
            throw CryptoError(.unsupportedAlgorithm, "only HS256 tokens are accepted")
        }
        // RFC 7515 §4.1.11: extensions we do not understand must be rejected.
        guard header["crit"] == nil else { throw CryptoError(.malformedToken, "critical header extensions are not supported") }

        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        let expected = HMAC.sha256(key: secret, message: signingInput)
        guard let signature = Base64URL.decode(String(parts[2])), ConstantTime.equals(signature, expected) else {
            throw CryptoError(.invalidSignature, "token signature does not verify")
        }

        guard let payloadBytes = Base64URL.decode(String(parts[1])),
              let claims = JWTClaimValue.decodeObject(payloadBytes) else {
            throw CryptoError(.malformedToken, "token payload is not base64url-encoded JSON object")
        }
        let payload = JWTPayload(json: payloadBytes, claims: claims)
        try checkTimes(payload, now: now.timeIntervalSince1970, leeway: leeway, requireExpiration: requireExpiration)
        return payload
    }

    public static func verifyHS256(token: String, secret: String, now: Date = Date(),
                                   leeway: TimeInterval = defaultLeeway,
                                   requireExpiration: Bool = false) throws -> JWTPayload {
        try verifyHS256(token: token, secret: Array(secret.utf8), now: now, leeway: leeway, requireExpiration: requireExpiration)
    }

    static func checkTimes(_ payload: JWTPayload, now: TimeInterval, leeway: TimeInterval, requireExpiration: Bool) throws {
        for name in ["exp", "nbf", "iat"] {
            if let value = payload[name], value.numberValue == nil {
                throw CryptoError(.malformedToken, "claim \(name) must be a number")
            }
        }
        if let exp = payload["exp"]?.numberValue {
            // RFC 7519 §4.1.4: the current time must be before exp.
            guard now < exp + leeway else { throw CryptoError(.tokenExpired, "token has expired") }
        } else if requireExpiration {
            throw CryptoError(.malformedToken, "token has no exp claim")
        }
        if let nbf = payload["nbf"]?.numberValue, now + leeway < nbf {
            throw CryptoError(.tokenNotYetValid, "token is not valid yet")
        }
    }
}

/// A verified payload: the exact JSON bytes that were signed, plus the
/// decoded claims for convenience.
public struct JWTPayload: Sendable, Equatable {
    public let json: [UInt8]
    public let claims: [String: JWTClaimValue]

    public subscript(name: String) -> JWTClaimValue? { claims[name] }

    public var sub: String? { claims["sub"]?.stringValue }
    public var email: String? { claims["email"]?.stringValue }
    public var jti: String? { claims["jti"]?.stringValue }
    public var iat: Int? { claims["iat"]?.intValue }
    public var exp: Int? { claims["exp"]?.intValue }
    public var nbf: Int? { claims["nbf"]?.intValue }
}
