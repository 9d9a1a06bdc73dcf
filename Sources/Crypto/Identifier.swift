/// Resource identifiers: `c` followed by 24 lower-case base-36 characters
/// (about 124 bits of entropy), so ids are unguessable and collision-free
/// without coordination, and safe in URLs, logs and file names.
public enum Identifier {
    public static let prefix: Character = "c"
    public static let randomLength = 24

    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    public static func make() -> String {
        make(randomCharacters: randomLength)
    }

    /// `c` and `count` random base-36 characters.
    static func make(randomCharacters count: Int) -> String {
        var chars: [UInt8] = [UInt8(ascii: "c")]
        chars.reserveCapacity(1 + count)
        // Rejection sampling: 252 = 7 * 36 is the largest multiple of 36 that
        // fits in a byte, so accepting only bytes < 252 keeps every character
        // equally likely.
        while chars.count < 1 + count {
            for byte in SecureRandom.bytes(count) where byte < 252 {
                chars.append(alphabet[Int(byte % 36)])
                if chars.count == 1 + count { break }
            }
        }
        return String(decoding: chars, as: UTF8.self)
    }

    /// True for exactly what `make()` produces: `^c[a-z0-9]{24}$`.
    public static func isValid(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard bytes.count == 1 + randomLength, bytes[0] == UInt8(ascii: "c") else { return false }
        return bytes.dropFirst().allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
