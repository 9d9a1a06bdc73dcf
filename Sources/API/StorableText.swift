import JSON

/// Text PostgreSQL cannot store. A NUL (U+0000) is refused by libpq in a bound
/// parameter and by `jsonb` in any string or key, so it is refused at the edge,
/// once, with a 400 naming where it was: never by a query that answers 500.
enum StorableText {
    static func isStorable(_ text: String) -> Bool {
        !text.utf8.contains(0)
    }

    /// The path of the first string or key in `value` holding a NUL
    /// (`body.variables.name`, `body.items[2]`), or nil when there is none.
    static func firstUnstorable(in value: JSONValue, at path: String) -> String? {
        switch value {
        case .string(let text):
            return isStorable(text) ? nil : path
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = firstUnstorable(in: item, at: "\(path)[\(index)]") { return found }
            }
            return nil
        case .object(let object):
            for (key, item) in object {
                let child = path + "." + Validator.displayKey(key)
                if !isStorable(key) { return child }
                if let found = firstUnstorable(in: item, at: child) { return found }
            }
            return nil
        case .null, .bool, .int, .double:
            return nil
        }
    }

    /// Whether a JSON text may hold a NUL at all: it can only arrive as the
    /// escape `\u0000` (a raw control byte is not valid JSON), so bodies
    /// without that escape skip the walk.
    static func mayHoldNUL(_ json: [UInt8]) -> Bool {
        let needle: [UInt8] = Array(#"\u0000"#.utf8)
        guard json.count >= needle.count else { return false }
        var index = 0
        let last = json.count - needle.count
        while index <= last {
            if json[index] == 0x5C, json[index + 1] | 0x20 == 0x75, json[index + 2] == 0x30,
               json[index + 3] == 0x30, json[index + 4] == 0x30, json[index + 5] == 0x30 {
                return true
            }
            index += 1
        }
        return false
    }

    /// Refuses a parsed request document holding a NUL anywhere.
    static func check(_ value: JSONValue, raw: [UInt8]) throws {
        guard mayHoldNUL(raw), let path = firstUnstorable(in: value, at: "body") else { return }
        throw APIError.validation(["\(path): must not contain the NUL character (U+0000)"])
    }

    /// Refuses path parameters and query values holding a NUL (`%00`).
    static func check(parameters: [String: String], query: [String: String]) throws {
        var issues: [String] = []
        for (name, value) in parameters where !isStorable(value) {
            issues.append("\(Validator.displayKey(name)): must not contain the NUL character (U+0000)")
        }
        for (name, value) in query where !isStorable(value) || !isStorable(name) {
            issues.append("query.\(Validator.displayKey(name)): must not contain the NUL character (U+0000)")
        }
        if !issues.isEmpty { throw APIError.validation(issues.sorted()) }
    }
}
