import Testing
@testable import Crypto

/// Every failure path must clear OpenSSL's thread-local error queue, so a
/// stale entry never surfaces in unrelated OpenSSL calls (TLS in Delivery).
/// Serialized and checked right after each call on the same thread.
@Suite(.serialized) struct ErrorQueueTests {
    @Test func failuresLeaveNoQueuedErrors() throws {
        let key = SecureRandom.bytes(32)
        let box = try AESGCM.seal([1, 2, 3], key: key)
        var tampered = box.combined
        tampered[tampered.count - 1] ^= 1
        _ = try? AESGCM.open(AESGCM.SealedBox(combined: tampered), key: key)
        #expect(openSSLErrorQueueIsEmpty())

        for pem in [KeyFixtures.encryptedP256, "junk", KeyFixtures.p384, KeyFixtures.ed25519, KeyFixtures.rsa, KeyFixtures.p256] {
            _ = try? KeyPair(privateKeyPEM: pem)
            #expect(openSSLErrorQueueIsEmpty())
        }

        let hasher = PasswordHasher.testing
        _ = hasher.verify("pw", against: "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        #expect(openSSLErrorQueueIsEmpty())
        _ = try KeyPair.generate(.es256)
        #expect(openSSLErrorQueueIsEmpty())
    }
}
