import Testing
@testable import Crypto

@Suite struct PasswordHasherTests {
    let hasher = PasswordHasher.testing

    @Test func hashAndVerify() {
        let stored = hasher.hash("correct horse battery staple")
        #expect(stored.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(hasher.verify("correct horse battery staple", against: stored))
        #expect(!hasher.verify("correct horse battery stapler", against: stored))
        #expect(!hasher.verify("", against: stored))
        #expect(!stored.contains("correct"))
    }

    @Test func saltedSoEqualPasswordsDiffer() {
        let a = hasher.hash("same"), b = hasher.hash("same")
        #expect(a != b)
        #expect(hasher.verify("same", against: a) && hasher.verify("same", against: b))
    }

    @Test func formatIsPHCWithReadableParameters() throws {
        let fields = hasher.hash("pw").split(separator: "$", omittingEmptySubsequences: false)
        #expect(fields.count == 5 && fields[1] == "scrypt" && fields[2] == "ln=10,r=8,p=1")
        #expect(Base64.decode(String(fields[3]), padding: false)?.count == 16)
        #expect(Base64.decode(String(fields[4]), padding: false)?.count == 32)
    }

    // Verification uses the stored parameters, not the hasher's, so costs can change.
    @Test func parametersComeFromTheStoredString() {
        let cheaper = PasswordHasher(parameters: .init(logN: 8, r: 4, p: 1))
        let stored = cheaper.hash("pw")
        #expect(hasher.verify("pw", against: stored))
        #expect(hasher.needsRehash(stored))
        #expect(!cheaper.needsRehash(stored))
        #expect(hasher.needsRehash("garbage"))
    }

    // RFC 7914 §12, third vector, through the same code path hashing uses.
    @Test func scryptKnownAnswer() {
        let derived = PasswordHasher.scrypt(password: Array("password".utf8), salt: Array("NaCl".utf8),
                                            parameters: .init(logN: 10, r: 8, p: 16), length: 64)
        #expect(derived.map(Hex.encode) == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    @Test func verifiesAHashBuiltByHand() {
        let salt = Array("0123456789abcdef".utf8)
        let hash = PasswordHasher.scrypt(password: Array("hunter2".utf8), salt: salt, parameters: .testing, length: 32)!
        let stored = "$scrypt$ln=10,r=8,p=1$" + Base64.encode(salt, padding: false) + "$" + Base64.encode(hash, padding: false)
        #expect(hasher.verify("hunter2", against: stored))
    }

    // The production cost needs maxmem raised above OpenSSL's 32 MiB default.
    @Test func owaspCostRuns() {
        let production = PasswordHasher()
        #expect(production.parameters == .owasp)
        let stored = production.hash("pw")
        #expect(stored.hasPrefix("$scrypt$ln=17,r=8,p=1$"))
        #expect(production.verify("pw", against: stored))
    }

    @Test func unicodeIsNormalized() {
        let stored = hasher.hash("caf\u{e9}")
        #expect(hasher.verify("cafe\u{301}", against: stored))
    }

    @Test(arguments: [
        "", "$scrypt$", "plain", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$scrypt$ln=10,r=8$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=10,r=8,p=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=+10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=30,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAA",
        "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$",
    ])
    func malformedStoredHashesNeverVerify(_ stored: String) {
        #expect(!hasher.verify("pw", against: stored))
    }

    @Test func dummyVerifyIsFalse() {
        #expect(!hasher.dummyVerify("anything"))
    }
}
