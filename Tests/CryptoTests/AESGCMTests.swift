import Testing
@testable import Crypto

@Suite struct AESGCMTests {
    let key = SecureRandom.bytes(32)

    @Test func roundTripWithAndWithoutAAD() throws {
        for plaintext in [[], Array("x".utf8), SecureRandom.bytes(1000)] as [[UInt8]] {
            let box = try AESGCM.seal(plaintext, key: key, associatedData: Array("row:1".utf8))
            #expect(box.nonce.count == 12 && box.tag.count == 16 && box.ciphertext.count == plaintext.count)
            #expect(try AESGCM.open(box, key: key, associatedData: Array("row:1".utf8)) == plaintext)
            let plain = try AESGCM.seal(plaintext, key: key)
            #expect(try AESGCM.open(AESGCM.SealedBox(combined: plain.combined), key: key) == plaintext)
        }
    }

    // NIST GCM test vector (gcmEncryptExtIV256, Count 0 with PT/AAD empty):
    // pins the byte layout and OpenSSL wiring independently of our own seal.
    @Test func knownAnswerOpen() throws {
        let key = Hex.decode("b52c505a37d78eda5dd34f20c22540ea1b58963cf8e5bf8ffa85f9f2492505b4")!
        let box = try AESGCM.SealedBox(nonce: Hex.decode("516c33929df5a3284ff463d7")!, ciphertext: [],
                                       tag: Hex.decode("bdc1ac884d332457a1d2664f168c76f0")!)
        #expect(try AESGCM.open(box, key: key) == [])
    }

    @Test func everyFlippedByteFailsToOpen() throws {
        let box = try AESGCM.seal(Array("tenant secret".utf8), key: key, associatedData: Array("aad".utf8))
        let combined = box.combined
        for index in combined.indices {
            var tampered = combined
            tampered[index] ^= 0x01
            #expect(throws: CryptoError(.authenticationFailed, "AES-GCM authentication failed")) {
                try AESGCM.open(AESGCM.SealedBox(combined: tampered), key: key, associatedData: Array("aad".utf8))
            }
        }
    }

    @Test func wrongAADOrKeyFails() throws {
        let box = try AESGCM.seal(Array("secret".utf8), key: key, associatedData: Array("tenant:a".utf8))
        #expect(throws: CryptoError.self) { try AESGCM.open(box, key: key, associatedData: Array("tenant:b".utf8)) }
        #expect(throws: CryptoError.self) { try AESGCM.open(box, key: key) }
        #expect(throws: CryptoError.self) { try AESGCM.open(box, key: SecureRandom.bytes(32), associatedData: Array("tenant:a".utf8)) }
    }

    @Test func nonceIsFreshEachTime() throws {
        let a = try AESGCM.seal(Array("same".utf8), key: key)
        let b = try AESGCM.seal(Array("same".utf8), key: key)
        #expect(a.nonce != b.nonce && a.ciphertext != b.ciphertext)
    }

    @Test func rejectsBadKeyAndShortBox() {
        #expect(throws: CryptoError.self) { try AESGCM.seal([1], key: SecureRandom.bytes(16)) }
        #expect(throws: CryptoError.self) { try AESGCM.SealedBox(combined: SecureRandom.bytes(27)) }
        let error = #expect(throws: CryptoError.self) { try AESGCM.seal([1], key: [UInt8](repeating: 7, count: 31)) }
        #expect(error?.code == .invalidKey)
    }
}
