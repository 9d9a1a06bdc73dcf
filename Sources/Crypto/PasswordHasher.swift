internal import COpenSSL
import Foundation  // NFC normalization only

/// Password hashing with scrypt (RFC 7914) via OpenSSL's EVP_PBE_scrypt.
///
/// Why scrypt: it is memory-hard (unlike PBKDF2), ships with OpenSSL 3.0
/// (Argon2 only arrived in 3.2), and OWASP lists it with N=2^17, r=8, p=1,
/// which costs 128 MiB and a few hundred milliseconds per hash. Callers in
/// async code should run hashing off the cooperative pool and bound how many
/// run at once, since each one holds that memory while it runs.
///
/// Stored form is a PHC string, `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` with
/// unpadded standard base64, so cost parameters travel with each hash and can
/// be raised later (`needsRehash`) without breaking existing accounts.
public struct PasswordHasher: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// log2 of the CPU/memory cost N.
        public let logN: Int
        /// Block size.
        public let r: Int
        /// Parallelism.
        public let p: Int

        public init(logN: Int, r: Int, p: Int) {
            self.logN = logN
            self.r = r
            self.p = p
        }

        /// OWASP Password Storage Cheat Sheet recommendation.
        public static let owasp = Parameters(logN: 17, r: 8, p: 1)
        /// Cheap enough for test suites (1 MiB, about a millisecond). Never in production.
        public static let testing = Parameters(logN: 10, r: 8, p: 1)

        /// Bounds for parameters read back from stored strings, so a corrupt
        /// or hostile row cannot make verification allocate gigabytes.
        var isAcceptable: Bool {
            (1...20).contains(logN) && (1...32).contains(r) && (1...16).contains(p)
                && (128 * r) << logN <= 1 << 30
        }

        /// EVP_PBE_scrypt refuses to run beyond `maxmem` (32 MiB by default,
        /// too little for N=2^17). OpenSSL needs 128*r*(N+2) bytes for V plus
        /// 128*r*p for B; allow exactly that plus a little slack.
        var maxMemory: UInt64 {
            UInt64(128 * r) * (UInt64(1) << UInt64(logN) + 2 + UInt64(p)) + (1 << 20)
        }
    }

    public static let saltLength = 16
    public static let hashLength = 32

    public let parameters: Parameters

    public init(parameters: Parameters = .owasp) {
        precondition(parameters.isAcceptable, "scrypt parameters out of range")
        self.parameters = parameters
    }

    /// A low-cost hasher for tests.
    public static let testing = PasswordHasher(parameters: .testing)

    /// A fresh salt every time, so equal passwords hash differently.
    public func hash(_ password: String) -> String {
        let salt = SecureRandom.bytes(Self.saltLength)
        guard let derived = Self.scrypt(password: Self.normalize(password), salt: salt,
                                        parameters: parameters, length: Self.hashLength) else {
            fatalError(CryptoError.openSSL("scrypt").description)
        }
        return Self.format(parameters, salt: salt, hash: derived)
    }

    /// Recomputes with the parameters stored in `stored` and compares in
    /// constant time. Malformed or out-of-range stored strings verify as false.
    public func verify(_ password: String, against stored: String) -> Bool {
        guard let parsed = Self.parse(stored),
              let derived = Self.scrypt(password: Self.normalize(password), salt: parsed.salt,
                                        parameters: parsed.parameters, length: parsed.hash.count)
        else { return false }
        return ConstantTime.equals(derived, parsed.hash)
    }

    /// Does the same work as a real verification and returns false. Use it
    /// when the account does not exist, so response time does not tell.
    @discardableResult
    public func dummyVerify(_ password: String) -> Bool {
        _ = Self.scrypt(password: Self.normalize(password), salt: [UInt8](repeating: 0, count: Self.saltLength),
                        parameters: parameters, length: Self.hashLength)
        return false
    }

    /// True when `stored` was made with other parameters (or cannot be read),
    /// so the caller should re-hash after the next successful login.
    public func needsRehash(_ stored: String) -> Bool {
        Self.parse(stored)?.parameters != parameters
    }

    // MARK: - Internals

    /// NFC, so the same password typed on systems that compose accents
    /// differently produces the same bytes.
    static func normalize(_ password: String) -> [UInt8] {
        Array(password.precomposedStringWithCanonicalMapping.utf8)
    }

    static func scrypt(password: [UInt8], salt: [UInt8], parameters: Parameters, length: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: length)
        let ok = withNonNullBytes(password) { passPointer, passCount in
            passPointer.withMemoryRebound(to: CChar.self, capacity: max(passCount, 1)) { pass in
                withNonNullBytes(salt) { saltPointer, saltCount in
                    EVP_PBE_scrypt(pass, passCount, saltPointer, saltCount,
                                   UInt64(1) << UInt64(parameters.logN), UInt64(parameters.r), UInt64(parameters.p),
                                   parameters.maxMemory, &out, length) == 1
                }
            }
        }
        if !ok { ERR_clear_error(); return nil }
        return out
    }

    static func format(_ parameters: Parameters, salt: [UInt8], hash: [UInt8]) -> String {
        "$scrypt$ln=\(parameters.logN),r=\(parameters.r),p=\(parameters.p)$"
            + Base64.encode(salt, padding: false) + "$" + Base64.encode(hash, padding: false)
    }

    static func parse(_ stored: String) -> (parameters: Parameters, salt: [UInt8], hash: [UInt8])? {
        let fields = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == "scrypt" else { return nil }
        var values: [String: Int] = [:]
        for pair in fields[2].split(separator: ",", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, ["ln", "r", "p"].contains(parts[0]), values[String(parts[0])] == nil,
                  parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(parts[1]) else { return nil }
            values[String(parts[0])] = value
        }
        guard let logN = values["ln"], let r = values["r"], let p = values["p"] else { return nil }
        let parameters = Parameters(logN: logN, r: r, p: p)
        guard parameters.isAcceptable,
              let salt = Base64.decode(String(fields[3]), padding: false), (8...64).contains(salt.count),
              let hash = Base64.decode(String(fields[4]), padding: false), (16...64).contains(hash.count)
        else { return nil }
        return (parameters, salt, hash)
    }
}
