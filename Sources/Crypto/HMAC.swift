internal import COpenSSL

/// HMAC-SHA256 (RFC 2104), plus HKDF (RFC 5869) built on it for deriving
/// independent sub-keys from one master secret.
public enum HMAC {
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: SHA256.byteCount)
        var length: UInt32 = 0
        // Non-null pointers even when empty: HMAC() treats a NULL key as
        // "keep the previous key", which is not the same as an empty key.
        let result = withNonNullBytes(key) { keyPointer, keyCount in
            withNonNullBytes(message) { messagePointer, messageCount in
                COpenSSL.HMAC(EVP_sha256(), keyPointer, Int32(keyCount), messagePointer, messageCount, &out, &length)
            }
        }
        opensslInvariant(result != nil && length == UInt32(SHA256.byteCount), "HMAC-SHA256")
        return out
    }

    public static func sha256(key: [UInt8], message: String) -> [UInt8] {
        sha256(key: key, message: Array(message.utf8))
    }
}

/// HKDF-SHA256. Small enough to write over HMAC directly, which keeps it
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

/// Comparisons whose timing does not reveal where two secrets differ.
public enum ConstantTime {
    /// False when lengths differ (length is not treated as secret: MACs and
    /// digests have fixed lengths); otherwise CRYPTO_memcmp over all bytes.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, pa.count) == 0 }
        }
    }

    /// UTF-8 comparison, e.g. for verification codes and API tokens.
    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }
}
