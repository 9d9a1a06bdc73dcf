internal import COpenSSL

/// Cryptographically secure randomness from OpenSSL's DRBG (RAND_bytes).
/// Everything secret or guessable-if-predictable in Herald (ids, salts,
/// nonces, codes, keys) draws from here, never from `SystemRandomNumberGenerator`
/// or `random()`, so there is a single audited source.
public enum SecureRandom {
    /// `count` random bytes. Traps if the RNG fails, which only happens when
    /// the process cannot be trusted to produce secrets at all.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "negative byte count")
        if count == 0 { return [] }
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) == 1 }
        opensslInvariant(ok, "RAND_bytes")
        return out
    }

    /// Argument-label spelling, for call sites that read better with it.
    public static func bytes(count: Int) -> [UInt8] { bytes(count) }

    /// A uniformly distributed integer in `0..<upperBound`, without modulo bias.
    public static func uniform(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "upperBound must be positive")
        let bound = UInt64(upperBound)
        // Reject the top sliver of the UInt64 range that would over-represent
        // small residues; at most one extra draw on average for any bound.
        let limit = UInt64.max - (UInt64.max % bound + 1) % bound
        while true {
            let value = next64()
            if value <= limit { return Int(value % bound) }
        }
    }

    static func next64() -> UInt64 {
        bytes(8).reduce(0) { ($0 << 8) | UInt64($1) }
    }
}

/// Lets standard-library APIs (`Int.random(in:using:)`, `shuffled(using:)`)
/// use the same audited source.
public struct SecureRandomNumberGenerator: RandomNumberGenerator, Sendable {
    public init() {}
    public mutating func next() -> UInt64 { SecureRandom.next64() }
}
