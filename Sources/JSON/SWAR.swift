/// Eight-bytes-at-a-time tests for the string scanners (SWAR: SIMD within a register).
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    @inline(__always) static func load(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: (base + offset).loadUnaligned(as: UInt64.self))
    }

    /// Nonzero when some byte equals `byte` (may flag extra bytes after a true match).
    @inline(__always) static func hasByte(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let x = word ^ (ones &* UInt64(byte))
        return (x &- ones) & ~x & highBits
    }

    /// Nonzero when some byte is below `bound` (at most 0x80).
    @inline(__always) static func hasByteBelow(_ word: UInt64, _ bound: UInt8) -> UInt64 {
        (word &- ones &* UInt64(bound)) & ~word & highBits
    }

    /// Whether a string run can be copied as is: no quote, backslash or
    /// control byte, and, when `asciiOnly`, no byte of a multibyte character.
    @inline(__always) static func isPlain(_ word: UInt64, asciiOnly: Bool) -> Bool {
        var flags = hasByte(word, UInt8(ascii: "\"")) | hasByte(word, UInt8(ascii: "\\")) | hasByteBelow(word, 0x20)
        if asciiOnly { flags |= word & highBits }
        return flags == 0
    }
}
