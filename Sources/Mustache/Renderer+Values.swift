import JSON

extension Renderer {
    /// Resolves a name against the context stack: the first part in the
    /// nearest object that has it, the rest strictly inside that value.
    mutating func lookup(_ name: Name) -> JSONValue? {
        let parts = name.parts
        guard let first = parts.first else { return contexts[contexts.count - 1] }
        var index = contexts.count - 1
        while index >= 0 {
            if case .object(let object) = contexts[index], var value = object[first] {
                for part in parts.dropFirst() {
                    guard case .object(let inner) = value, let next = inner[part] else {
                        noteMissing(name.text)
                        return nil
                    }
                    value = next
                }
                return value
            }
            index -= 1
        }
        noteMissing(name.text)
        return nil
    }

    private mutating func noteMissing(_ name: String) {
        if missingSeen.insert(name).inserted { missing.append(name) }
    }

    /// Numbers print as JSON writes them; lists and objects as compact JSON.
    mutating func write(_ value: JSONValue, escaped: Bool) {
        switch value {
        case .string(let string):
            if escaped { writeEscaped(string) } else { out.append(contentsOf: string.utf8) }
        case .int, .double:
            value.encode(into: &out)
        case .bool(let flag):
            out.append(contentsOf: flag ? "true".utf8 : "false".utf8)
        case .null:
            break
        case .array, .object:
            if escaped { writeEscaped(value.jsonString) } else { value.encode(into: &out) }
        }
    }

    /// HTML escaping of `& < > " '`, copying unescaped runs in bulk.
    mutating func writeEscaped(_ string: String) {
        var string = string
        string.withUTF8 { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let entity: StaticString
                switch bytes[index] {
                case UInt8(ascii: "&"): entity = "&amp;"
                case UInt8(ascii: "<"): entity = "&lt;"
                case UInt8(ascii: ">"): entity = "&gt;"
                case UInt8(ascii: "\""): entity = "&quot;"
                case UInt8(ascii: "'"): entity = "&#39;"
                default: continue
                }
                if runStart < index { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
                entity.withUTF8Buffer { out.append(contentsOf: $0) }
                runStart = index + 1
            }
            if runStart < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        }
    }
}
