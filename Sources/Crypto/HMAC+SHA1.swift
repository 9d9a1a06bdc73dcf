internal import COpenSSL

extension HMAC {
    /// HMAC-SHA1: only for checking signatures a provider makes with it
    /// (Twilio's `X-Twilio-Signature`); Herald signs with SHA-256.
    public static func sha1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        let result = withNonNullBytes(key) { keyPointer, keyCount in
            withNonNullBytes(message) { messagePointer, messageCount in
                COpenSSL.HMAC(EVP_sha1(), keyPointer, Int32(keyCount), messagePointer, messageCount, &out, &length)
            }
        }
        opensslInvariant(result != nil && length == 20, "HMAC-SHA1")
        return out
    }
}
