import JSON

/// Reads fields from a JSON request body and collects one issue per problem,
/// each naming the field, so a client learns everything wrong at once.
/// Every key a route reads is remembered: `check()` refuses the keys it never
/// read, as the contract's `additionalProperties: false` says, so a field a
/// route ignores (`type` on a template update) is a 400, not a silent no-op.
struct Validator {
    private let source: JSONObject
    /// A list, not a set: a body has a handful of keys, and a bulk send
    /// validates a thousand bodies, where hashing each key twice showed.
    private var read: [String] = []
    private(set) var issues: [String] = []

    init(_ object: JSONObject) { self.source = object }

    /// A field's raw value, marked as known.
    subscript(key: String) -> JSONValue? {
        mutating get {
            read.append(key)
            return source[key]
        }
    }

    /// Marks keys a route accepts but does not read (aliases, fields kept for the contract).
    mutating func accept(_ keys: String...) { read.append(contentsOf: keys) }

    /// Throws the collected issues, and one per key no route read, as a 400.
    func check() throws {
        var all = issues
        for key in source.keys where !read.contains(key) {
            all.append("\(Validator.displayKey(key)): Unrecognized key")
        }
        if !all.isEmpty { throw APIError.validation(all) }
    }

    /// A key as it can be shown in a message: control characters escaped, long keys cut.
    static func displayKey(_ key: String) -> String {
        var out = ""
        for scalar in key.unicodeScalars.prefix(64) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return key.unicodeScalars.count > 64 ? out + "…" : out
    }

    mutating func fail(_ message: String) { issues.append(message) }

    /// A required string. When absent or invalid the issue is recorded and an
    /// empty string stands in: `check()` then throws before anyone reads it,
    /// so a route needs no optional to unwrap.
    mutating func string(_ key: String, min: Int = 0, max: Int = 10_000, pattern: ((String) -> Bool)? = nil,
                         patternMessage: String = "is not in the expected format") -> String {
        guard let value = self[key], !value.isNull else {
            fail("\(key): Required")
            return ""
        }
        return checkString(key, value, min: min, max: max, pattern: pattern, patternMessage: patternMessage) ?? ""
    }

    /// An optional string: absent or null answers nil.
    mutating func optionalString(_ key: String, min: Int = 0, max: Int = 10_000, pattern: ((String) -> Bool)? = nil,
                                 patternMessage: String = "is not in the expected format") -> String? {
        guard let value = self[key], !value.isNull else { return nil }
        return checkString(key, value, min: min, max: max, pattern: pattern, patternMessage: patternMessage)
    }

    /// For updates: `.none` when absent, `.some(nil)` when null (clear), else the value.
    mutating func nullableString(_ key: String, min: Int = 0, max: Int = 10_000,
                                 pattern: ((String) -> Bool)? = nil) -> String?? {
        guard let value = self[key] else { return .none }
        if value.isNull { return .some(nil) }
        guard let string = checkString(key, value, min: min, max: max, pattern: pattern,
                                       patternMessage: "is not in the expected format") else { return .none }
        return .some(string)
    }

    /// A required string from a fixed set (an empty stand-in when refused, as for `string`).
    mutating func oneOf(_ key: String, _ allowed: [String]) -> String {
        guard self[key] != nil, self[key]?.isNull == false else {
            fail("\(key): Required")
            return ""
        }
        return optionalOneOf(key, allowed) ?? ""
    }

    /// An optional string from a fixed set: absent or null answers nil.
    mutating func optionalOneOf(_ key: String, _ allowed: [String]) -> String? {
        guard let value = optionalString(key) else { return nil }
        guard allowed.contains(value) else {
            fail("\(key): must be one of \(allowed.joined(separator: ", "))")
            return nil
        }
        return value
    }

    /// A required JSON object (an empty stand-in when refused, as for `string`).
    mutating func object(_ key: String) -> JSONObject {
        guard let value = self[key], !value.isNull else {
            fail("\(key): Required")
            return JSONObject()
        }
        guard let object = value.objectValue else {
            fail("\(key): Expected object")
            return JSONObject()
        }
        return object
    }

    /// A required value of any JSON type but null (a null stand-in when absent).
    mutating func value(_ key: String) -> JSONValue {
        guard let value = self[key], !value.isNull else {
            fail("\(key): Required")
            return .null
        }
        return value
    }

    mutating func optionalObject(_ key: String) -> JSONObject? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let object = value.objectValue else {
            fail("\(key): Expected object")
            return nil
        }
        return object
    }

    mutating func optionalBool(_ key: String) -> Bool? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let bool = value.boolValue else {
            fail("\(key): Expected boolean")
            return nil
        }
        return bool
    }

    mutating func optionalInt(_ key: String, min: Int64 = .min, max: Int64 = .max) -> Int64? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let int = value.intValue else {
            fail("\(key): Expected integer")
            return nil
        }
        guard int >= min, int <= max else {
            fail("\(key): must be between \(min) and \(max)")
            return nil
        }
        return int
    }

    private mutating func checkString(_ key: String, _ value: JSONValue, min: Int, max: Int,
                                      pattern: ((String) -> Bool)?, patternMessage: String) -> String? {
        guard let string = value.stringValue else {
            fail("\(key): Expected string")
            return nil
        }
        let length = string.count
        if length < min {
            fail("\(key): must contain at least \(min) character(s)")
            return nil
        }
        if length > max {
            fail("\(key): must contain at most \(max) character(s)")
            return nil
        }
        if let pattern, !pattern(string) {
            fail("\(key): \(patternMessage)")
            return nil
        }
        return string
    }
}

/// The contract's formats, checked without regular expressions.
enum Format {
    /// `^c[a-z0-9]{8,64}$`: the contract's id pattern (`^c[^\s-]{8,}$`) narrowed to
    /// the alphabet ids are made of (Herald's own and cuids), so an id with a NUL,
    /// a quote or a non-ASCII byte names nothing and never reaches a query.
    static func isId(_ s: String) -> Bool {
        let bytes = s.utf8
        guard bytes.count >= 9, bytes.count <= 65, bytes.first == UInt8(ascii: "c") else { return false }
        return bytes.dropFirst().allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) }
    }

    /// Host names: labels of letters, digits and inner hyphens, separated by dots.
    static func isDomain(_ s: String) -> Bool {
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        guard !labels.isEmpty, s.utf8.count <= 253 else { return false }
        return labels.allSatisfy { label in
            guard let first = label.utf8.first, let last = label.utf8.last, label.utf8.count <= 63 else { return false }
            func alnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
            return alnum(first) && alnum(last) && label.utf8.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
        }
    }

    /// An absolute URI (RFC 3986): a scheme (an ASCII letter, then letters, digits, `+-.`),
    /// a colon, something after it, and no spaces or control characters.
    static func isURI(_ s: String) -> Bool {
        guard let colon = s.firstIndex(of: ":"), colon != s.startIndex, s.index(after: colon) != s.endIndex,
              !s.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else { return false }
        let scheme = s[..<colon]
        return scheme.first?.isLetter == true
            && scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
    }

    /// Slugs: lower-case letters, digits and hyphens.
    static func isSlug(_ s: String) -> Bool {
        s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) || $0 == UInt8(ascii: "-") }
    }

    /// A pragmatic email check: one @, a non-empty local part, a dotted domain, no spaces or controls.
    static func isEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64, s.utf8.count <= 254,
              !s.utf8.contains(where: { $0 <= 32 || $0 == 127 }) else { return false }
        return parts[1].contains(".") && isDomain(String(parts[1]))
    }

    /// E.164: a plus and 8 to 15 digits, the first not zero.
    static func isPhone(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard bytes.count >= 9, bytes.count <= 16, bytes[0] == UInt8(ascii: "+"), bytes[1] != UInt8(ascii: "0") else { return false }
        return bytes.dropFirst().allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
