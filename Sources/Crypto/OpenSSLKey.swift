internal import COpenSSL

/// Reading OpenSSL keys, shared by `KeyPair` (JWT signing keys) and `ECDSA`
/// (SendGrid's event signatures).
enum OpenSSLKey {
    /// An unencrypted PEM private key, which the caller frees (`EVP_PKEY_free`).
    static func privateKey(pem: String) throws -> OpaquePointer {
        let bytes = Array(pem.utf8)
        let loaded: OpaquePointer? = bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            // A password callback that always fails: encrypted PEMs are refused
            // instead of OpenSSL's default of prompting on the terminal.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil)
        }
        // The decoder may queue errors from formats it tried even on success;
        // leave the thread's queue clean for TLS code that reads it later.
        ERR_clear_error()
        guard let key = loaded else {
            throw CryptoError(.malformedInput, "private key is not an unencrypted PEM private key")
        }
        return key
    }

    /// Whether `key` is an EC key on P-256 (OpenSSL names the curve either way).
    static func isP256(_ key: OpaquePointer) -> Bool {
        guard EVP_PKEY_is_a(key, "EC") == 1 else { return false }
        var buffer = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_group_name(key, &buffer, buffer.count, &length) == 1 else { ERR_clear_error(); return false }
        let name = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name == "prime256v1" || name == "P-256"
    }
}
