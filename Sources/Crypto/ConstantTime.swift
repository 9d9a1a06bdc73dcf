internal import COpenSSL

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
