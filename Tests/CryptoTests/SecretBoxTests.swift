import Testing
@testable import Crypto

@Suite struct SecretBoxTests {
    let master = MasterKey.generate()

    @Test func sealOpenRoundTrip() throws {
        let box = master.secretBox
        let token = box.seal(plaintext: "sk_live_ünïcode", aad: "tenant:c1:secret_key")
        #expect(token.hasPrefix("v1."))
        #expect(SecretBox.isCurrent(token))
        #expect(!token.contains("sk_live"))
        #expect(try box.open(token, aad: "tenant:c1:secret_key") == "sk_live_ünïcode")
        #expect(try box.open(box.seal(plaintext: "", aad: ""), aad: "") == "")
        // Same key derived again (e.g. after restart) opens old tokens.
        #expect(try master.secretBox.open(token, aad: "tenant:c1:secret_key") == "sk_live_ünïcode")
    }

    @Test func wrongAADOrMasterKeyFails() throws {
        let token = master.secretBox.seal(plaintext: "secret", aad: "tenant:a")
        let wrongAAD = #expect(throws: CryptoError.self) { try master.secretBox.open(token, aad: "tenant:b") }
        #expect(wrongAAD?.code == .authenticationFailed)
        #expect(throws: CryptoError.self) { try MasterKey.generate().secretBox.open(token, aad: "tenant:a") }
    }

    @Test func versioningAndMalformedTokens() throws {
        let box = master.secretBox
        let token = box.seal(plaintext: "secret", aad: "x")
        let body = token.dropFirst(3)
        #expect((#expect(throws: CryptoError.self) { try box.open("v2." + body, aad: "x") })?.code == .unsupportedVersion)
        #expect((#expect(throws: CryptoError.self) { try box.open(String(body), aad: "x") })?.code == .malformedInput)
        #expect((#expect(throws: CryptoError.self) { try box.open("v1." + body + "=", aad: "x") })?.code == .malformedInput)
        #expect((#expect(throws: CryptoError.self) { try box.open("v1.AAAA", aad: "x") })?.code == .malformedInput)
        // Flip one base64url character in the middle of the body.
        var chars = Array(token)
        chars[10] = chars[10] == "A" ? "B" : "A"
        #expect((#expect(throws: CryptoError.self) { try box.open(String(chars), aad: "x") })?.code == .authenticationFailed)
    }

    @Test func tokensAreNotDeterministic() {
        let box = master.secretBox
        #expect(box.seal(plaintext: "same", aad: "a") != box.seal(plaintext: "same", aad: "a"))
    }

    @Test func directKeyMustBe32Bytes() {
        #expect(throws: CryptoError.self) { try SecretBox(key: SecureRandom.bytes(16)) }
        #expect(String(describing: try! SecretBox(key: SecureRandom.bytes(32))) == "SecretBox(key: redacted)")
    }
}

@Suite struct MasterKeyTests {
    @Test func parsesHexAndTrimsNewline() throws {
        let hex = MasterKey.generateHex()
        #expect(hex.count == 64)
        let key = try MasterKey(hex: hex + "\n")
        let upper = try MasterKey(hex: hex.uppercased())
        #expect(key.digest("abc") == upper.digest("abc"))
        #expect(String(describing: key) == "MasterKey(redacted)")
    }

    @Test(arguments: ["", "00", String(repeating: "0", count: 63), String(repeating: "0", count: 65),
                      String(repeating: "g", count: 64), String(repeating: "0", count: 62) + " 0"])
    func refusesAnythingElse(_ input: String) {
        let error = #expect(throws: CryptoError.self) { try MasterKey(hex: input) }
        #expect(error?.code == .invalidKey)
        #expect(error?.message.contains("64 hexadecimal digits") == true)
    }

    @Test func errorNeverEchoesTheValue() {
        let almost = "deadbeef" + String(repeating: "a", count: 55)
        let error = #expect(throws: CryptoError.self) { try MasterKey(hex: almost) }
        #expect(error?.message.contains("deadbeef") == false)
    }

    @Test func digestIsStableKeyedAndHex() throws {
        let hex = String(repeating: "01", count: 32)
        let a = try MasterKey(hex: hex)
        let b = try MasterKey(hex: hex)
        #expect(a.digest("sk_test_1") == b.digest("sk_test_1"))
        #expect(a.digest("sk_test_1") != a.digest("sk_test_2"))
        #expect(a.digest("sk_test_1") != MasterKey.generate().digest("sk_test_1"))
        #expect(Hex.decode(a.digest("x"))?.count == 32)
        // Derived, not HMAC under the raw master key.
        #expect(a.digest("x") != Hex.encode(HMAC.sha256(key: Hex.decode(hex)!, message: "x")))
    }
}
