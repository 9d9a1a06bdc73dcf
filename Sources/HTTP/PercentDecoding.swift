/// Percent-decoding for paths and query strings. Malformed escapes ("%zz", a trailing "%") are
/// kept literally rather than rejected: a lookup then simply fails to match, which is the
/// lenient behaviour clients expect. Invalid UTF-8 becomes U+FFFD.
enum PercentDecoding {
    static func decode<S: StringProtocol>(_ input: S, plusAsSpace: Bool = false) -> String {
        let utf8 = input.utf8
        // Fast path: nothing to decode.
        if !utf8.contains(where: { $0 == 0x25 || (plusAsSpace && $0 == 0x2B) }) {
            return String(input)
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let b = utf8[i]
            if b == 0x25 {
                let h = utf8.index(after: i)
                if h != utf8.endIndex {
                    let l = utf8.index(after: h)
                    if l != utf8.endIndex, let hi = hexValue(utf8[h]), let lo = hexValue(utf8[l]) {
                        out.append(hi << 4 | lo)
                        i = utf8.index(after: l)
                        continue
                    }
                }
                out.append(b)
            } else if b == 0x2B && plusAsSpace {
                out.append(0x20)
            } else {
                out.append(b)
            }
            i = utf8.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }
}

/// `application/x-www-form-urlencoded`-style query strings: `a=1&b=x%20y&c`.
public enum QueryString {
    /// Every name/value pair in order, decoded ('+' is a space). A name without '=' has value "".
    public static func items(_ raw: String) -> [(name: String, value: String)] {
        guard !raw.isEmpty else { return [] }
        var result: [(name: String, value: String)] = []
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            if let eq = pair.firstIndex(of: "=") {
                result.append((PercentDecoding.decode(pair[..<eq], plusAsSpace: true),
                               PercentDecoding.decode(pair[pair.index(after: eq)...], plusAsSpace: true)))
            } else {
                result.append((PercentDecoding.decode(pair, plusAsSpace: true), ""))
            }
        }
        return result
    }

    /// Name to value; when a name repeats, the first value wins.
    public static func dictionary(_ raw: String) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in items(raw) where result[name] == nil {
            result[name] = value
        }
        return result
    }
}
