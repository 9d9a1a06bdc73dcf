internal import COpenSSL

/// HMAC-SHA256 (RFC 2104).
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
