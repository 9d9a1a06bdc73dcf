internal import COpenSSL

/// ECDSA on P-256 with SHA-256, signatures in DER (X9.62 `ECDSA-Sig-Value`),
/// public keys as DER SubjectPublicKeyInfo: the forms SendGrid's signed
/// Event Webhook uses. Like `KeyPair`, it holds no OpenSSL object past a call.
public enum ECDSA {
    /// True when `signature` is a valid P-256/SHA-256 signature of `message`
    /// under `publicKeyDER`. Any malformed input, or a key that is not P-256, is false.
    public static func verifyP256SHA256(publicKeyDER: [UInt8], signature: [UInt8], message: [UInt8]) -> Bool {
        defer { ERR_clear_error() }
        guard let key = publicKey(der: publicKeyDER) else { return false }
        defer { EVP_PKEY_free(key) }
        guard OpenSSLKey.isP256(key), !signature.isEmpty, let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else { return false }
        return withNonNullBytes(message) { messagePointer, messageCount in
            signature.withUnsafeBufferPointer { signaturePointer in
                EVP_DigestVerify(context, signaturePointer.baseAddress, signaturePointer.count, messagePointer, messageCount) == 1
            }
        }
    }

    /// True when `der` is a DER SubjectPublicKeyInfo of a P-256 key.
    public static func isP256PublicKey(_ der: [UInt8]) -> Bool {
        defer { ERR_clear_error() }
        guard let key = publicKey(der: der) else { return false }
        defer { EVP_PKEY_free(key) }
        return OpenSSLKey.isP256(key)
    }

    /// Signs `message` with a P-256 private key PEM (as `KeyPair.generate(.es256)` makes): a DER signature.
    public static func signP256SHA256(privateKeyPEM: String, message: [UInt8]) throws -> [UInt8] {
        let key = try privateKey(pem: privateKeyPEM)
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { throw CryptoError.openSSL("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else { throw CryptoError.openSSL("sign init") }
        var length = 0
        let sized = withNonNullBytes(message) { pointer, count in EVP_DigestSign(context, nil, &length, pointer, count) }
        guard sized == 1 else { throw CryptoError.openSSL("sign") }
        var out = [UInt8](repeating: 0, count: length)
        let signed = withNonNullBytes(message) { pointer, count in EVP_DigestSign(context, &out, &length, pointer, count) }
        guard signed == 1 else { throw CryptoError.openSSL("sign") }
        return Array(out.prefix(length))
    }

    /// The DER SubjectPublicKeyInfo of a P-256 private key PEM.
    public static func publicKeyDER(privateKeyPEM: String) throws -> [UInt8] {
        let key = try privateKey(pem: privateKeyPEM)
        defer { EVP_PKEY_free(key) }
        let length = i2d_PUBKEY(key, nil)
        guard length > 0 else { throw CryptoError.openSSL("i2d_PUBKEY") }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PUBKEY(key, &cursor)
        }
        guard written == length else { throw CryptoError.openSSL("i2d_PUBKEY") }
        return out
    }

    private static func publicKey(der: [UInt8]) -> OpaquePointer? {
        guard !der.isEmpty else { return nil }
        return der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
    }

    private static func privateKey(pem: String) throws -> OpaquePointer {
        let key = try OpenSSLKey.privateKey(pem: pem)
        guard OpenSSLKey.isP256(key) else {
            EVP_PKEY_free(key)
            throw CryptoError(.invalidKey, "not a P-256 key")
        }
        return key
    }
}
