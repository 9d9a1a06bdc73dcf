import Testing
@testable import Crypto

/// ECDSA P-256 verification (SendGrid's signed event webhook) and HMAC-SHA1 (Twilio's signatures).
@Suite struct ECDSATests {
    @Test func aSignatureVerifiesOnlyForItsKeyAndMessage() throws {
        let key = try KeyPair.generate(.es256)
        let publicKey = try ECDSA.publicKeyDER(privateKeyPEM: key.privateKeyPEM)
        #expect(ECDSA.isP256PublicKey(publicKey))
        let message = Array("1700000000[{\"event\":\"delivered\"}]".utf8)
        let signature = try ECDSA.signP256SHA256(privateKeyPEM: key.privateKeyPEM, message: message)
        #expect(ECDSA.verifyP256SHA256(publicKeyDER: publicKey, signature: signature, message: message))
        #expect(!ECDSA.verifyP256SHA256(publicKeyDER: publicKey, signature: signature, message: message + [0x20]))
        let other = try ECDSA.publicKeyDER(privateKeyPEM: try KeyPair.generate(.es256).privateKeyPEM)
        #expect(!ECDSA.verifyP256SHA256(publicKeyDER: other, signature: signature, message: message))
        var flipped = signature
        flipped[flipped.count - 1] ^= 1
        #expect(!ECDSA.verifyP256SHA256(publicKeyDER: publicKey, signature: flipped, message: message))
        #expect(!ECDSA.verifyP256SHA256(publicKeyDER: [], signature: signature, message: message))
        #expect(!ECDSA.verifyP256SHA256(publicKeyDER: Array(publicKey.dropLast()), signature: signature, message: message))
        #expect(!ECDSA.verifyP256SHA256(publicKeyDER: publicKey, signature: [], message: message))
        #expect(openSSLErrorQueueIsEmpty())
    }

    @Test func anRSAKeyIsNotAP256Key() throws {
        let rsa = try KeyPair.generate(.rs256)
        #expect(throws: CryptoError.self) { try ECDSA.publicKeyDER(privateKeyPEM: rsa.privateKeyPEM) }
        #expect(!ECDSA.isP256PublicKey(Array("not a key".utf8)))
    }

    @Test func hmacSHA1MatchesRFC2202() {
        // RFC 2202 test case 1.
        let mac = HMAC.sha1(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))
        #expect(Hex.encode(mac) == "b617318655057264e28bc0b6fb378c8ef146be00")
    }
}
