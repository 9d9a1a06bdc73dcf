import Foundation

// Parsers for PostgreSQL's text output, working on raw bytes so decoding a
// row does not allocate intermediate Strings.

enum PostgresNumber {
    static func int64(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let n = b.count
        guard n > 0 else { return nil }
        var negative = false
        if b[0] == UInt8(ascii: "-") { negative = true; i = 1 } else if b[0] == UInt8(ascii: "+") { i = 1 }
        guard i < n else { return nil }
        var v: Int64 = 0
        while i < n {
            let d = Int64(b[i]) &- 48
            guard d >= 0 && d <= 9 else { return nil }
            // Accumulate negatively so Int64.min parses too.
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.subtractingReportingOverflow(d)
            if o1 || o2 { return nil }
            v = s
            i += 1
        }
        if negative { return v }
        return v == .min ? nil : -v
    }

    static func double(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        double(String(decoding: b, as: UTF8.self))
    }

    static func double(_ s: String) -> Double? {
        switch s {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return Double(s)
        }
    }

    static func bool(_ b: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard let c = b.first else { return nil }
        switch c {
        case UInt8(ascii: "t"): return b.count == 1 || b.count == 4 ? true : nil
        case UInt8(ascii: "f"): return b.count == 1 || b.count == 5 ? false : nil
        default: return nil
        }
    }
}

@inline(__always) private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 48...57: return c - 48
    case 97...102: return c - 87
    case 65...70: return c - 55
    default: return nil
    }
}

enum PostgresUUID {
    /// Hex digit values; 0xFF for anything else.
    private static let hexTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "0123456789".utf8.enumerated() { table[Int(c)] = UInt8(i) }
        for (i, c) in "abcdef".utf8.enumerated() { table[Int(c)] = UInt8(10 + i) }
        for (i, c) in "ABCDEF".utf8.enumerated() { table[Int(c)] = UInt8(10 + i) }
        return table
    }()

    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> UUID? {
        guard b.count == 36, let p = b.baseAddress,
              p[8] == UInt8(ascii: "-"), p[13] == UInt8(ascii: "-"),
              p[18] == UInt8(ascii: "-"), p[23] == UInt8(ascii: "-")
        else { return nil }
        // Accumulate 32 nibbles into two words; any invalid digit sets 0xF0.
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        var invalid: UInt8 = 0
        hexTable.withUnsafeBufferPointer { table in
            var nibbles = 0
            for i in 0..<36 where i != 8 && i != 13 && i != 18 && i != 23 {
                let v = table[Int(p[i])]
                invalid |= v
                if nibbles < 16 { hi = hi << 4 | UInt64(v & 0xF) } else { lo = lo << 4 | UInt64(v & 0xF) }
                nibbles += 1
            }
        }
        guard invalid & 0xF0 == 0 else { return nil }
        @inline(__always) func byte(_ w: UInt64, _ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: w >> UInt64(56 - 8 * i)) }
        return UUID(uuid: (byte(hi, 0), byte(hi, 1), byte(hi, 2), byte(hi, 3), byte(hi, 4), byte(hi, 5), byte(hi, 6), byte(hi, 7),
                           byte(lo, 0), byte(lo, 1), byte(lo, 2), byte(lo, 3), byte(lo, 4), byte(lo, 5), byte(lo, 6), byte(lo, 7)))
    }
}

enum PostgresBytea {
    private static let digits = Array("0123456789abcdef".utf8)

    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(2 + bytes.count * 2)
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "x"))
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses `\x0102...` (the default `bytea_output = hex`) or the legacy
    /// escape format.
    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        if b.count >= 2, b[0] == UInt8(ascii: "\\"), b[1] == UInt8(ascii: "x") {
            guard b.count % 2 == 0 else { return nil }
            var out = [UInt8](repeating: 0, count: (b.count - 2) / 2)
            var i = 2
            var j = 0
            while i < b.count {
                guard let hi = hexValue(b[i]), let lo = hexValue(b[i + 1]) else { return nil }
                out[j] = hi << 4 | lo
                i += 2
                j += 1
            }
            return out
        }
        var out = [UInt8]()
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] != UInt8(ascii: "\\") { out.append(b[i]); i += 1; continue }
            if i + 1 < b.count, b[i + 1] == UInt8(ascii: "\\") { out.append(b[i]); i += 2; continue }
            guard i + 3 < b.count else { return nil }
            let o = (b[i + 1] &- 48, b[i + 2] &- 48, b[i + 3] &- 48)
            guard o.0 < 4, o.1 < 8, o.2 < 8 else { return nil }
            out.append(o.0 << 6 | o.1 << 3 | o.2)
            i += 4
        }
        return out
    }
}

enum PostgresArrayText {
    /// Parses a one-dimensional array's text output, `{a,"b c",NULL}`,
    /// into element texts (nil for NULL).
    static func parse(_ text: String) -> [String?]? {
        let u = Array(text.utf8)
        var i = 0
        // Skip an explicit-bounds prefix such as `[0:1]=`.
        if u.first == UInt8(ascii: "[") {
            guard let eq = u.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            i = eq + 1
        }
        guard i < u.count, u[i] == UInt8(ascii: "{"), u.last == UInt8(ascii: "}") else { return nil }
        i += 1
        var out: [String?] = []
        if i == u.count - 1 { return out }
        while i < u.count {
            var element: [UInt8] = []
            var quoted = false
            if u[i] == UInt8(ascii: "{") { return nil } // multi-dimensional: unsupported
            if u[i] == UInt8(ascii: "\"") {
                quoted = true
                i += 1
                while i < u.count, u[i] != UInt8(ascii: "\"") {
                    if u[i] == UInt8(ascii: "\\") { i += 1 }
                    guard i < u.count else { return nil }
                    element.append(u[i])
                    i += 1
                }
                i += 1 // closing quote
            } else {
                while i < u.count, u[i] != UInt8(ascii: ","), u[i] != UInt8(ascii: "}") {
                    if u[i] == UInt8(ascii: "\\") { i += 1 }
                    guard i < u.count else { return nil }
                    element.append(u[i])
                    i += 1
                }
            }
            let s = String(decoding: element, as: UTF8.self)
            out.append(!quoted && s.uppercased() == "NULL" ? nil : s)
            guard i < u.count else { return nil }
            if u[i] == UInt8(ascii: "}") { break }
            guard u[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
        return out
    }
}
