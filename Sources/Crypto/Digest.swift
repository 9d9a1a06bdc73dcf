internal import COpenSSL

/// SHA-256 through OpenSSL's EVP interface (the non-deprecated path in 3.x).
public enum SHA256 {
    public static let byteCount = 32

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let ok = withNonNullBytes(bytes) { pointer, count in
            EVP_Digest(pointer, count, &out, &length, EVP_sha256(), nil) == 1
        }
        opensslInvariant(ok && length == UInt32(byteCount), "SHA-256")
        return out
    }

    public static func hash(_ text: String) -> [UInt8] { hash(Array(text.utf8)) }

    /// Lower-case hex digest of the UTF-8 bytes, e.g. for content hashes and
    /// digests of non-secret values. For secrets use `MasterKey.digest`.
    public static func hex(_ text: String) -> String { Hex.encode(hash(text)) }

    public static func hex(_ bytes: [UInt8]) -> String { Hex.encode(hash(bytes)) }
}
