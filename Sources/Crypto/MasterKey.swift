/// The service master key (`HERALD_MASTER_KEY`): 32 random bytes given as 64
/// hex digits. It is never used directly; HKDF derives one independent key
/// per purpose, so the encryption key and the digest key cannot interfere.
public struct MasterKey: Sendable, CustomStringConvertible {
    public static let byteCount = 32

    // HKDF "info" labels. Changing one invalidates everything derived from it.
    private static let secretBoxLabel = "herald/secretbox/v1"
    private static let digestLabel = "herald/secret-digest/v1"

    // Only the derived keys are kept; the raw master key is not stored.
    private let secretBoxKey: [UInt8]
    private let digestKey: [UInt8]

    /// Parses exactly 64 hex digits (surrounding whitespace ignored, since
    /// env files often carry a trailing newline). The error never echoes the value.
    public init(hex: String) throws {
        let trimmed = hex.trimmingASCIIWhitespace()
        guard trimmed.utf8.count == 2 * Self.byteCount, let bytes = Hex.decode(trimmed) else {
            throw CryptoError(.invalidKey, "HERALD_MASTER_KEY must be exactly 64 hexadecimal digits (32 bytes); got \(trimmed.utf8.count) characters"
                + (trimmed.utf8.count == 2 * Self.byteCount ? " including non-hex characters" : "")
                + ". Generate one with: openssl rand -hex 32")
        }
        try self.init(bytes: bytes)
    }

    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.byteCount else {
            throw CryptoError(.invalidKey, "master key must be \(Self.byteCount) bytes, got \(bytes.count)")
        }
        secretBoxKey = Self.derive(bytes, Self.secretBoxLabel)
        digestKey = Self.derive(bytes, Self.digestLabel)
    }

    /// A fresh random key, for tests and first-run setup.
    public static func generate() -> MasterKey {
        try! MasterKey(bytes: SecureRandom.bytes(byteCount))
    }

    /// A fresh random key as the 64 hex digits `init(hex:)` accepts.
    public static func generateHex() -> String {
        Hex.encode(SecureRandom.bytes(byteCount))
    }

    /// Encrypts secrets at rest under a key derived for that purpose only.
    public var secretBox: SecretBox {
        try! SecretBox(key: secretBoxKey)
    }

    /// Hex HMAC-SHA256 of `secret` under a derived key: a stable lookup value
    /// (for example to find a tenant by the API key it presented) that reveals
    /// nothing about the secret without the master key.
    public func digest(_ secret: String) -> String {
        Hex.encode(HMAC.sha256(key: digestKey, message: Array(secret.utf8)))
    }

    private static func derive(_ bytes: [UInt8], _ label: String) -> [UInt8] {
        HKDF.sha256(inputKey: bytes, info: Array(label.utf8), outputLength: 32)
    }

    public var description: String { "MasterKey(redacted)" }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        // Character.isWhitespace also covers "\r\n", which is a single Character.
        guard let start = firstIndex(where: { !$0.isWhitespace }), let end = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[start...end])
    }
}
