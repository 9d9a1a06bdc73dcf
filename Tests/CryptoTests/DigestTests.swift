import Testing
@testable import Crypto

@Suite struct DigestTests {
    @Test func sha256KnownAnswers() {
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash([UInt8]()).count == 32)
    }

    // RFC 4231 test case 1.
    @Test func hmacRFC4231Case1() {
        let key = [UInt8](repeating: 0x0b, count: 20)
        #expect(Hex.encode(HMAC.sha256(key: key, message: "Hi There"))
            == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    // RFC 4231 test case 2.
    @Test func hmacRFC4231Case2() {
        #expect(Hex.encode(HMAC.sha256(key: Array("Jefe".utf8), message: "what do ya want for nothing?"))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    // An empty key must mean "empty key", not OpenSSL's "reuse previous key".
    @Test func hmacEmptyKeyAndMessage() {
        _ = HMAC.sha256(key: Array("something else".utf8), message: "warm up")
        #expect(Hex.encode(HMAC.sha256(key: [], message: []))
            == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    // RFC 5869 test cases 1 and 3.
    @Test func hkdfRFC5869() {
        let ikm = [UInt8](repeating: 0x0b, count: 22)
        let okm1 = HKDF.sha256(inputKey: ikm, salt: Array(0x00...0x0c), info: Array(0xf0...0xf9), outputLength: 42)
        #expect(Hex.encode(okm1) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        let okm3 = HKDF.sha256(inputKey: ikm, info: [], outputLength: 42)
        #expect(Hex.encode(okm3) == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
    }

    @Test func constantTimeEquals() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equals([], [0]))
        #expect(ConstantTime.equals([UInt8](), []))
        #expect(ConstantTime.equals("123456", "123456"))
        #expect(!ConstantTime.equals("123456", "123457"))
    }
}
