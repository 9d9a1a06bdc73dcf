import Testing
@testable import Crypto

@Suite struct EncodingTests {
    @Test func hexRoundTripAndCase() {
        #expect(Hex.encode([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
        #expect(Hex.decode("000FA5ff") == [0x00, 0x0f, 0xa5, 0xff])
        #expect(Hex.decode("") == [])
    }

    @Test(arguments: ["0", "abc", "zz", "0g", " 00", "00 ", "é0"])
    func hexRejects(_ input: String) {
        #expect(Hex.decode(input) == nil)
    }

    // RFC 4648 §10 vectors.
    @Test(arguments: [
        ("", "", ""), ("f", "Zg==", "Zg"), ("fo", "Zm8=", "Zm8"), ("foo", "Zm9v", "Zm9v"),
        ("foob", "Zm9vYg==", "Zm9vYg"), ("fooba", "Zm9vYmE=", "Zm9vYmE"), ("foobar", "Zm9vYmFy", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(_ plain: String, _ padded: String, _ unpadded: String) {
        let bytes = Array(plain.utf8)
        #expect(Base64.encode(bytes) == padded)
        #expect(Base64.encode(bytes, padding: false) == unpadded)
        #expect(Base64URL.encode(bytes) == unpadded)
        #expect(Base64.decode(padded) == bytes)
        #expect(Base64.decode(unpadded, padding: false) == bytes)
        #expect(Base64URL.decode(unpadded) == bytes)
    }

    @Test func urlAlphabetDiffersFromStandard() {
        let bytes: [UInt8] = [0xfb, 0xff, 0xbf]
        #expect(Base64.encode(bytes) == "+/+/")
        #expect(Base64URL.encode(bytes) == "-_-_")
        #expect(Base64URL.decode("-_-_") == bytes)
        #expect(Base64URL.decode("+/+/") == nil)
        #expect(Base64.decode("-_-_") == nil)
    }

    @Test(arguments: [
        "Zg==",      // padding is not allowed in base64url
        "Z",         // one leftover character cannot hold a byte
        "Zh",        // non-zero unused bits: not the canonical encoding of "f"
        "Zm9v!",     // outside the alphabet
        "Zm 9v",     // whitespace is not skipped
    ])
    func base64URLRejects(_ input: String) {
        #expect(Base64URL.decode(input) == nil)
    }

    @Test(arguments: ["Zg", "Zg=", "Zg===", "Zm8==", "Z===", "====", "Zg==Zg==", "Zh=="])
    func paddedBase64Rejects(_ input: String) {
        #expect(Base64.decode(input) == nil)
    }

    @Test func randomRoundTrips() {
        for length in 0..<70 {
            let bytes = SecureRandom.bytes(length)
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            #expect(Hex.decode(Hex.encode(bytes)) == bytes)
        }
    }
}
