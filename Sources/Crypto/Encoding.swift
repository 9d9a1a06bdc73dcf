/// Byte/text encodings, hand-written so decoders can be strict: anything that
/// is not the canonical encoding of some byte string decodes to nil, so two
/// different strings never decode to the same bytes (important when an
/// encoded value is compared or used as a lookup key).
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lower-case hex.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Accepts upper- or lower-case digits; nil on odd length or any other character.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Standard base64 (RFC 4648 §4). Padded by default; PHC strings use it unpadded.
public enum Base64 {
    public static func encode(_ bytes: [UInt8], padding: Bool = true) -> String {
        Base64Codec.standard.encode(bytes, padding: padding)
    }

    /// With `padding: true` the input must carry exactly the right `=`s;
    /// with `padding: false` it must carry none.
    public static func decode(_ text: String, padding: Bool = true) -> [UInt8]? {
        Base64Codec.standard.decode(text, padding: padding)
    }
}

/// URL-safe base64 without padding (RFC 4648 §5, as used by JOSE/JWT).
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        Base64Codec.url.encode(bytes, padding: false)
    }

    /// Nil on padding, characters outside the URL alphabet, impossible
    /// lengths, or non-zero leftover bits.
    public static func decode(_ text: String) -> [UInt8]? {
        Base64Codec.url.decode(text, padding: false)
    }
}

struct Base64Codec: Sendable {
    let alphabet: [UInt8]
    let reverse: [UInt8]  // 0xff marks "not in alphabet"

    static let standard = Base64Codec(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8))
    static let url = Base64Codec(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8))

    init(_ alphabet: [UInt8]) {
        self.alphabet = alphabet
        var reverse = [UInt8](repeating: 0xff, count: 256)
        for (index, char) in alphabet.enumerated() { reverse[Int(char)] = UInt8(index) }
        self.reverse = reverse
    }

    func encode(_ bytes: [UInt8], padding: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(group >> 18 & 0x3f)])
            out.append(alphabet[Int(group >> 12 & 0x3f)])
            if remaining > 1 { out.append(alphabet[Int(group >> 6 & 0x3f)]) } else if padding { out.append(UInt8(ascii: "=")) }
            if remaining > 2 { out.append(alphabet[Int(group & 0x3f)]) } else if padding { out.append(UInt8(ascii: "=")) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    func decode(_ text: String, padding: Bool) -> [UInt8]? {
        var chars = Array(text.utf8)
        if padding {
            guard chars.count % 4 == 0 else { return nil }
            // Strip at most two trailing '='; any other '=' fails the alphabet check below.
            var pads = 0
            while pads < 2, chars.last == UInt8(ascii: "=") { chars.removeLast(); pads += 1 }
            guard (chars.count + pads) % 4 == 0, pads == (4 - chars.count % 4) % 4 else { return nil }
        }
        // A single leftover character cannot encode a whole byte.
        guard chars.count % 4 != 1 else { return nil }

        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for char in chars {
            let value = reverse[Int(char)]
            guard value != 0xff else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Canonical form: the unused low bits of the last character must be zero.
        guard accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
