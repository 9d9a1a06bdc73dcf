import JSON

extension Renderer {
    /// Resolves a name against the context stack: the first part in the
    /// nearest object that has it, the rest strictly inside that value.
    mutating func lookup(_ name: Int, in program: Program) -> JSONValue? {
        let parts = program.nameRanges[name]
        if parts.isEmpty { return contexts[contexts.count - 1] }
        if let value = resolve(parts, program.nameParts, program.namePartHashes) { return value }
        noteMissing(program.names[name].text)
        return nil
    }

    private func resolve(_ parts: Range<Int>, _ strings: FrozenBuffer<String>, _ hashes: FrozenBuffer<UInt32>) -> JSONValue? {
        contexts.withUnsafeBufferPointer { contexts in
            let first = strings[parts.lowerBound], firstHash = hashes[parts.lowerBound]
            var index = contexts.count - 1
            while index >= 0 {
                if var value = contexts[index].member(first, hash: firstHash) {
                    for part in parts.dropFirst() {
                        guard let next = value.member(strings[part], hash: hashes[part]) else { return nil }
                        value = next
                    }
                    return value
                }
                index -= 1
            }
            return nil
        }
    }

    private mutating func noteMissing(_ name: String) {
        if missingSeen.insert(name).inserted { missing.append(name) }
    }

    /// Numbers print as JSON writes them; lists and objects as compact JSON.
    mutating func write(_ value: JSONValue, escaped: Bool) {
        switch value {
        case .string(let string):
            if escaped { writeEscaped(string) } else { out.append(string) }
        case .int(let int):
            out.append(int)
        case .double, .array, .object:
            if escaped { writeEscaped(value.jsonString) } else { out.append(value.encoded()) }
        case .bool(let flag):
            out.append(flag ? "true" : "false")
        case .null:
            break
        }
    }

    /// HTML escaping of `& < > " '`, copying unescaped runs in bulk.
    mutating func writeEscaped(_ string: String) {
        var string = string
        string.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var runStart = 0
            var index = 0
            // Eight bytes at a time: a mask marks exactly the bytes to escape.
            while index + 8 <= bytes.count {
                var mask = Self.specialByteMask(UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)))
                while mask != 0 {
                    let position = index + mask.trailingZeroBitCount / 8
                    writeRun(bytes, from: runStart, escaping: position)
                    runStart = position + 1
                    mask &= mask - 1
                }
                index += 8
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte < 64 && Self.specialBytes >> byte & 1 != 0 {
                    writeRun(bytes, from: runStart, escaping: index)
                    runStart = index + 1
                }
                index += 1
            }
            out.append(UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
    }

    /// Writes `bytes[start..<position]` as is, then the entity for the byte at `position`.
    @inline(__always) private mutating func writeRun(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, escaping position: Int) {
        out.append(UnsafeBufferPointer(rebasing: bytes[start..<position]))
        switch bytes[position] {
        case UInt8(ascii: "&"): out.append("&amp;")
        case UInt8(ascii: "<"): out.append("&lt;")
        case UInt8(ascii: ">"): out.append("&gt;")
        case UInt8(ascii: "\""): out.append("&quot;")
        default: out.append("&#39;")
        }
    }

    /// Bit n set: byte n needs escaping. All five are below 64.
    static let specialBytes: UInt64 = 1 << 0x26 | 1 << 0x3C | 1 << 0x3E | 1 << 0x22 | 1 << 0x27

    /// The high bit of each byte of `word` that is one of `& < > " '` (exact SWAR zero-byte test).
    @inline(__always) static func specialByteMask(_ word: UInt64) -> UInt64 {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let ones: UInt64 = 0x0101_0101_0101_0101
        @inline(__always) func zeroBytes(_ byte: UInt64) -> UInt64 {
            let x = word ^ (ones &* byte)
            return ~(((x & low7) &+ low7) | x | low7)
        }
        return zeroBytes(0x26) | zeroBytes(0x3C) | zeroBytes(0x3E) | zeroBytes(0x22) | zeroBytes(0x27)
    }
}
