/// Encrypts small secrets (tenant secret keys, provider credentials, private
/// key PEMs) for storage as text. Tokens look like `v1.<base64url(nonce |
/// ciphertext | tag)>`: the version prefix leaves room for a new algorithm or
/// key scheme later without guessing at the format of old rows.
///
/// The associated data should name where the secret lives (for example
/// `"tenant:<id>:secret_key"`), so a ciphertext copied into another row or
/// column fails to open instead of silently decrypting.
public struct SecretBox: Sendable, CustomStringConvertible {
    public static let currentVersion = "v1"

    private let key: [UInt8]

    /// `key` must be 32 bytes. Prefer `MasterKey.secretBox`, which derives a
    /// dedicated key instead of using the master key directly.
    public init(key: [UInt8]) throws {
        try AESGCM.checkKey(key)
        self.key = key
    }

    public func seal(plaintext: String, aad: String) -> String {
        seal(bytes: Array(plaintext.utf8), aad: aad)
    }

    public func seal(bytes: [UInt8], aad: String) -> String {
        do {
            let box = try AESGCM.seal(bytes, key: key, associatedData: Array(aad.utf8))
            return Self.currentVersion + "." + Base64URL.encode(box.combined)
        } catch {
            // The key length is checked at init, so only OpenSSL itself can fail here.
            fatalError("SecretBox seal: \(error)")
        }
    }

    /// Throws `.unsupportedVersion`, `.malformedInput`, or
    /// `.authenticationFailed` (wrong key, wrong aad, or tampering).
    public func open(_ token: String, aad: String) throws -> String {
        let bytes = try openBytes(token, aad: aad)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CryptoError(.malformedInput, "sealed secret is not UTF-8 text")
        }
        return text
    }

    public func openBytes(_ token: String, aad: String) throws -> [UInt8] {
        guard let dot = token.firstIndex(of: ".") else {
            throw CryptoError(.malformedInput, "sealed secret has no version prefix")
        }
        guard token[..<dot] == Self.currentVersion else {
            throw CryptoError(.unsupportedVersion, "sealed secret has an unknown version")
        }
        guard let combined = Base64URL.decode(String(token[token.index(after: dot)...])) else {
            throw CryptoError(.malformedInput, "sealed secret is not valid base64url")
        }
        return try AESGCM.open(AESGCM.SealedBox(combined: combined), key: key, associatedData: Array(aad.utf8))
    }

    /// True when the token is in the current format; lets callers re-seal old rows.
    public static func isCurrent(_ token: String) -> Bool {
        token.hasPrefix(currentVersion + ".")
    }

    public var description: String { "SecretBox(key: redacted)" }
}
