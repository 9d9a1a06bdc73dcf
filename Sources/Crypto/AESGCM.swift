internal import COpenSSL

/// AES-256-GCM authenticated encryption. Nonces are 96-bit random values, so
/// a single key is good for roughly 2^32 seals before nonce collisions become
/// a concern — far beyond the volume of secrets Herald stores.
public enum AESGCM {
    public static let keySize = 32
    public static let nonceSize = 12
    public static let tagSize = 16

    /// Nonce, ciphertext and tag; `combined` is `nonce | ciphertext | tag`.
    public struct SealedBox: Sendable, Equatable {
        public let nonce: [UInt8]
        public let ciphertext: [UInt8]
        public let tag: [UInt8]

        public init(nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) throws {
            guard nonce.count == AESGCM.nonceSize, tag.count == AESGCM.tagSize else {
                throw CryptoError(.malformedInput, "AES-GCM nonce must be \(AESGCM.nonceSize) bytes and tag \(AESGCM.tagSize) bytes")
            }
            self.nonce = nonce
            self.ciphertext = ciphertext
            self.tag = tag
        }

        public init(combined: [UInt8]) throws {
            guard combined.count >= AESGCM.nonceSize + AESGCM.tagSize else {
                throw CryptoError(.malformedInput, "AES-GCM box is too short")
            }
            try self.init(nonce: Array(combined.prefix(AESGCM.nonceSize)),
                          ciphertext: Array(combined.dropFirst(AESGCM.nonceSize).dropLast(AESGCM.tagSize)),
                          tag: Array(combined.suffix(AESGCM.tagSize)))
        }

        public var combined: [UInt8] { nonce + ciphertext + tag }
    }

    /// Encrypts under a fresh random nonce. Throws only for a key of the wrong size.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], associatedData: [UInt8] = []) throws -> SealedBox {
        try checkKey(key)
        let nonce = SecureRandom.bytes(nonceSize)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.openSSL("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }

        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { throw CryptoError.openSSL("AES-GCM init") }
        var length: Int32 = 0
        if !associatedData.isEmpty {
            guard EVP_EncryptUpdate(ctx, nil, &length, associatedData, Int32(associatedData.count)) == 1 else {
                throw CryptoError.openSSL("AES-GCM associated data")
            }
        }
        // GCM is a stream mode: ciphertext is exactly as long as plaintext.
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        if !plaintext.isEmpty {
            guard EVP_EncryptUpdate(ctx, &ciphertext, &length, plaintext, Int32(plaintext.count)) == 1,
                  Int(length) == plaintext.count else { throw CryptoError.openSSL("AES-GCM encrypt") }
        }
        var scratch = [UInt8](repeating: 0, count: 16)
        guard EVP_EncryptFinal_ex(ctx, &scratch, &length) == 1, length == 0 else { throw CryptoError.openSSL("AES-GCM final") }
        var tag = [UInt8](repeating: 0, count: tagSize)
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(tagSize), &tag) == 1 else {
            throw CryptoError.openSSL("AES-GCM tag")
        }
        return try SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
    }

    /// Decrypts and authenticates. Any mismatch in key, nonce, ciphertext, tag
    /// or associated data gives `.authenticationFailed` and no plaintext.
    public static func open(_ box: SealedBox, key: [UInt8], associatedData: [UInt8] = []) throws -> [UInt8] {
        try checkKey(key)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.openSSL("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }

        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, box.nonce) == 1 else { throw CryptoError.openSSL("AES-GCM init") }
        var length: Int32 = 0
        if !associatedData.isEmpty {
            guard EVP_DecryptUpdate(ctx, nil, &length, associatedData, Int32(associatedData.count)) == 1 else {
                throw CryptoError.openSSL("AES-GCM associated data")
            }
        }
        var plaintext = [UInt8](repeating: 0, count: box.ciphertext.count)
        if !box.ciphertext.isEmpty {
            guard EVP_DecryptUpdate(ctx, &plaintext, &length, box.ciphertext, Int32(box.ciphertext.count)) == 1,
                  Int(length) == box.ciphertext.count else { throw CryptoError.openSSL("AES-GCM decrypt") }
        }
        var tag = box.tag
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(tagSize), &tag) == 1 else {
            throw CryptoError.openSSL("AES-GCM tag")
        }
        var scratch = [UInt8](repeating: 0, count: 16)
        guard EVP_DecryptFinal_ex(ctx, &scratch, &length) == 1 else {
            // A failed tag check is expected input, not an OpenSSL fault:
            // drop the queued error and never hand back unauthenticated bytes.
            ERR_clear_error()
            OPENSSL_cleanse(&plaintext, plaintext.count)
            throw CryptoError(.authenticationFailed, "AES-GCM authentication failed")
        }
        return plaintext
    }

    static func checkKey(_ key: [UInt8]) throws {
        guard key.count == keySize else {
            throw CryptoError(.invalidKey, "AES-256-GCM key must be \(keySize) bytes, got \(key.count)")
        }
    }
}
