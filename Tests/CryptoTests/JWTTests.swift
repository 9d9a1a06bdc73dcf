import Foundation
import Testing
@testable import Crypto

@Suite struct JWTTests {
    let secret = "your-256-bit-secret"
    // Expected values computed independently with `openssl dgst -sha256 -hmac`.
    let jwtIOToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    let sortedClaimsToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJlbWFpbCI6ImFAYi5jbyIsImV4cCI6MjAwMDAwMDAwMCwiaWF0IjoxNzAwMDAwMDAwLCJzdWIiOiJjMTIzIn0.zbtbBt0t6GJx8Ia7_Shuex-ddzkhSoXJh216xPtozqA"
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func rawPayloadMatchesJWTIOExample() throws {
        let payload = #"{"sub":"1234567890","name":"John Doe","iat":1516239022}"#
        #expect(JWT.signHS256(payload: Array(payload.utf8), secret: Array(secret.utf8)) == jwtIOToken)
        let verified = try JWT.verifyHS256(token: jwtIOToken, secret: secret, now: now)
        #expect(verified.json == Array(payload.utf8))
        #expect(verified.sub == "1234567890" && verified.iat == 1516239022 && verified["name"] == "John Doe")
        #expect(verified.exp == nil)
    }

    @Test func claimsAreEncodedDeterministically() throws {
        let claims: [String: JWTClaimValue] = ["sub": "c123", "iat": 1_700_000_000, "exp": 2_000_000_000, "email": "a@b.co"]
        #expect(JWT.signHS256(claims: claims, secret: secret) == sortedClaimsToken)
        let verified = try JWT.verifyHS256(token: sortedClaimsToken, secret: Array(secret.utf8), now: now)
        #expect(verified.claims == claims)
        #expect(verified.email == "a@b.co" && verified.exp == 2_000_000_000)
    }

    @Test func claimValuesRoundTrip() throws {
        let claims: [String: JWTClaimValue] = [
            "s": "quote \" slash \\ newline \n tab \t bell \u{7} ünï 🎉 </script>",
            "i": -42, "d": 1.5, "t": true, "f": false, "n": nil,
            "a": [1, "two", [3]], "o": ["nested": ["deep": true]],
        ]
        let token = JWT.signHS256(claims: claims, secret: secret)
        #expect(try JWT.verifyHS256(token: token, secret: secret, now: now).claims == claims)
        #expect(String(decoding: JWTClaimValue.encode(["b": 1, "a": "\u{1}"]), as: UTF8.self) == #"{"a":"\u0001","b":1}"#)
        #expect(String(decoding: JWTClaimValue.encode(["x": .double(.nan)]), as: UTF8.self) == #"{"x":null}"#)
    }

    @Test func expiryAndNotBeforeWithLeeway() throws {
        let t = Int(now.timeIntervalSince1970)
        let expired = JWT.signHS256(claims: ["sub": "u", "exp": .int(t - 31)], secret: secret)
        #expect((#expect(throws: CryptoError.self) { try JWT.verifyHS256(token: expired, secret: secret, now: now) })?.code == .tokenExpired)
        let withinLeeway = JWT.signHS256(claims: ["sub": "u", "exp": .int(t - 29)], secret: secret)
        #expect(try JWT.verifyHS256(token: withinLeeway, secret: secret, now: now).sub == "u")
        #expect(throws: CryptoError.self) { try JWT.verifyHS256(token: withinLeeway, secret: secret, now: now, leeway: 0) }

        let future = JWT.signHS256(claims: ["nbf": .int(t + 120)], secret: secret)
        #expect((#expect(throws: CryptoError.self) { try JWT.verifyHS256(token: future, secret: secret, now: now) })?.code == .tokenNotYetValid)
        #expect(throws: Never.self) { try JWT.verifyHS256(token: future, secret: secret, now: now.addingTimeInterval(100)) }
    }

    @Test func requireExpiration() throws {
        let noExp = JWT.signHS256(claims: ["sub": "u"], secret: secret)
        #expect(throws: Never.self) { try JWT.verifyHS256(token: noExp, secret: secret, now: now) }
        #expect(throws: CryptoError.self) { try JWT.verifyHS256(token: noExp, secret: secret, now: now, requireExpiration: true) }
        let badType = JWT.signHS256(claims: ["exp": "tomorrow"], secret: secret)
        #expect((#expect(throws: CryptoError.self) { try JWT.verifyHS256(token: badType, secret: secret, now: now) })?.code == .malformedToken)
    }

    @Test func refusesAlgNone() {
        let header = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let payload = Base64URL.encode(Array(#"{"sub":"admin"}"#.utf8))
        for token in ["\(header).\(payload).", "\(header).\(payload).\(jwtIOToken.split(separator: ".")[2])"] {
            let error = #expect(throws: CryptoError.self) { try JWT.verifyHS256(token: token, secret: secret, now: now) }
            #expect(error?.code == .unsupportedAlgorithm)
        }
    }

    @Test(arguments: [#"{"alg":"HS512"}"#, #"{"alg":"RS256"}"#, #"{"alg":"hs256"}"#, #"{"typ":"JWT"}"#, #"{"alg":["HS256"]}"#])
    func refusesOtherAlgorithms(_ headerJSON: String) {
        let header = Base64URL.encode(Array(headerJSON.utf8))
        let rest = jwtIOToken.split(separator: ".").dropFirst().joined(separator: ".")
        let error = #expect(throws: CryptoError.self) { try JWT.verifyHS256(token: "\(header).\(rest)", secret: secret, now: now) }
        #expect(error?.code == .unsupportedAlgorithm)
    }

    @Test func refusesTamperedPayloadSignatureOrSecret() {
        let parts = jwtIOToken.split(separator: ".").map(String.init)
        let forgedPayload = Base64URL.encode(Array(#"{"sub":"1234567890","name":"John Doe","iat":1516239022,"admin":true}"#.utf8))
        let cases = [
            "\(parts[0]).\(forgedPayload).\(parts[2])",
            "\(parts[0]).\(parts[1]).\(parts[2].dropLast())A",
            "\(parts[0]).\(parts[1]).",
            "\(parts[0]).\(parts[1]).\(parts[2])=",
        ]
        for token in cases {
            let error = #expect(throws: CryptoError.self) { try JWT.verifyHS256(token: token, secret: secret, now: now) }
            #expect(error?.code == .invalidSignature)
        }
        #expect(throws: CryptoError.self) { try JWT.verifyHS256(token: jwtIOToken, secret: "another-secret", now: now) }
        #expect(throws: CryptoError.self) { try JWT.verifyHS256(token: jwtIOToken, secret: "", now: now) }
    }

    @Test(arguments: ["", "a.b", "a.b.c.d", "!!!.e30.abc", "e30.e30.e30", String(repeating: "a", count: 20_000)])
    func refusesMalformed(_ token: String) {
        #expect(throws: CryptoError.self) { try JWT.verifyHS256(token: token, secret: secret, now: now) }
    }

    @Test func refusesCriticalExtensions() {
        let header = Array(#"{"alg":"HS256","crit":["b64"],"b64":false}"#.utf8)
        let signingInput = Base64URL.encode(header) + "." + Base64URL.encode(Array("{}".utf8))
        let token = signingInput + "." + Base64URL.encode(HMAC.sha256(key: Array(secret.utf8), message: signingInput))
        #expect(throws: CryptoError.self) { try JWT.verifyHS256(token: token, secret: secret, now: now) }
    }

    @Test func signedNonObjectPayloadIsMalformed() {
        let token = JWT.signHS256(payload: Array("[1,2]".utf8), secret: Array(secret.utf8))
        let error = #expect(throws: CryptoError.self) { try JWT.verifyHS256(token: token, secret: secret, now: now) }
        #expect(error?.code == .malformedToken)
    }
}
