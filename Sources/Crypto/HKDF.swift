/// HKDF-SHA256 (RFC 5869), for deriving independent sub-keys from one master
/// secret. Small enough to write over HMAC directly, which keeps it
/// independent of OpenSSL's OSSL_PARAM plumbing and easy to check against
/// the RFC vectors.
public enum HKDF {
    public static func sha256(inputKey: [UInt8], salt: [UInt8] = [], info: [UInt8], outputLength: Int) -> [UInt8] {
        precondition(outputLength > 0 && outputLength <= 255 * SHA256.byteCount, "HKDF output length out of range")
        // Extract: an absent salt means HashLen zero bytes (RFC 5869 §2.2).
        let prk = HMAC.sha256(key: salt.isEmpty ? [UInt8](repeating: 0, count: SHA256.byteCount) : salt, message: inputKey)
        // Expand: T(i) = HMAC(PRK, T(i-1) | info | i).
        var output = [UInt8]()
        var block = [UInt8]()
        var counter: UInt8 = 1
        while output.count < outputLength {
            block = HMAC.sha256(key: prk, message: block + info + [counter])
            output += block
            counter &+= 1
        }
        return Array(output.prefix(outputLength))
    }
}
