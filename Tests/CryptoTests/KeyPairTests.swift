import Testing
@testable import Crypto

@Suite struct KeyPairTests {
    @Test func rsaJWKFields() throws {
        let pair = try KeyPair.generate(.rs256)
        let jwk = pair.publicJWK
        #expect(jwk.kty == "RSA" && jwk.alg == "RS256" && jwk.use == "sig")
        let n = try #require(jwk.n.flatMap(Base64URL.decode))
        #expect(n.count == 256 && n[0] & 0x80 != 0)  // exactly 2048 bits, minimal encoding
        #expect(jwk.e.flatMap(Base64URL.decode) == [0x01, 0x00, 0x01])
        #expect(jwk.crv == nil && jwk.x == nil && jwk.y == nil)
        #expect(Base64URL.decode(pair.kid)?.count == 32)
        #expect(jwk.fields == ["kty": "RSA", "alg": "RS256", "use": "sig", "kid": pair.kid, "n": jwk.n!, "e": "AQAB"])
        #expect(pair.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
    }

    @Test func ecJWKFields() throws {
        let pair = try KeyPair.generate(.es256)
        let jwk = pair.publicJWK
        #expect(jwk.kty == "EC" && jwk.alg == "ES256" && jwk.crv == "P-256")
        #expect(jwk.x.flatMap(Base64URL.decode)?.count == 32)
        #expect(jwk.y.flatMap(Base64URL.decode)?.count == 32)
        #expect(jwk.n == nil && jwk.e == nil)
        #expect(Set(jwk.fields.keys) == ["kty", "alg", "use", "kid", "crv", "x", "y"])
    }

    @Test(arguments: KeyPair.Algorithm.allCases)
    func privatePEMRoundTrips(_ algorithm: KeyPair.Algorithm) throws {
        let pair = try KeyPair.generate(algorithm)
        let loaded = try KeyPair(privateKeyPEM: pair.privateKeyPEM)
        #expect(loaded.algorithm == algorithm)
        #expect(loaded.publicJWK == pair.publicJWK)
        #expect(loaded.privateKeyPEM == pair.privateKeyPEM)
        // Survives sealing at rest, as the store will do.
        let box = MasterKey.generate().secretBox
        let sealed = box.seal(plaintext: pair.privateKeyPEM, aad: "tenant:c1:jwk:\(pair.kid)")
        #expect(try KeyPair(privateKeyPEM: box.open(sealed, aad: "tenant:c1:jwk:\(pair.kid)")).kid == pair.kid)
    }

    @Test func freshKeysDiffer() throws {
        #expect(try KeyPair.generate(.es256).kid != KeyPair.generate(.es256).kid)
    }

    @Test func knownP256Key() throws {
        let pair = try KeyPair(privateKeyPEM: KeyFixtures.p256)
        #expect(pair.algorithm == .es256)
        #expect(pair.publicJWK.x == KeyFixtures.p256X && pair.publicJWK.y == KeyFixtures.p256Y)
        #expect(pair.kid == KeyFixtures.p256Kid)
    }

    // A traditional PKCS#1 PEM loads and is re-exported as PKCS#8.
    @Test func knownTraditionalRSAKey() throws {
        #expect(KeyFixtures.rsa.hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        let pair = try KeyPair(privateKeyPEM: KeyFixtures.rsa)
        #expect(pair.algorithm == .rs256)
        #expect(pair.publicJWK.n == KeyFixtures.rsaN && pair.publicJWK.e == "AQAB")
        #expect(pair.kid == KeyFixtures.rsaKid)
        #expect(pair.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
    }

    // RFC 7638 §3.1 example.
    @Test func rfc7638Thumbprint() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        #expect(PublicJWK.thumbprint(["kty": "RSA", "e": "AQAB", "n": n]) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    @Test func refusesUnsupportedOrBadKeys() {
        for pem in [KeyFixtures.p384, KeyFixtures.rsa1024, KeyFixtures.ed25519] {
            let error = #expect(throws: CryptoError.self) { try KeyPair(privateKeyPEM: pem) }
            #expect(error?.code == .invalidKey)
        }
        for pem in [KeyFixtures.encryptedP256, "", "not a pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"] {
            let error = #expect(throws: CryptoError.self) { try KeyPair(privateKeyPEM: pem) }
            #expect(error?.code == .malformedInput)
        }
    }

    @Test func descriptionRedactsPrivateKey() throws {
        let pair = try KeyPair.generate(.es256)
        #expect(!String(describing: pair).contains("PRIVATE"))
        #expect(String(describing: pair).contains(pair.kid))
    }
}
