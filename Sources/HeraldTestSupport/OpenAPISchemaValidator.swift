import Foundation
import JSON

/// Validates a JSON value against an OpenAPI 3.0 Schema Object (the JSON Schema
/// subset OpenAPI 3.0 defines, plus `nullable`). `$ref`s resolve against `root`.
/// Problems read `<JSON pointer>: <message>`, the root pointer shown as `(root)`.
struct OpenAPISchemaValidator {
    let root: JSONValue
    var patterns = OpenAPIPatternCache.shared

    /// Deep enough for any real document; only a `$ref` cycle gets here.
    private static let maxDepth = 200

    func validate(_ value: JSONValue, against schema: JSONValue) -> [String] {
        var problems: [String] = []
        validate(value, schema, pointer: "", depth: 0, into: &problems)
        return problems
    }

    private func validate(_ value: JSONValue, _ schema: JSONValue, pointer: String, depth: Int,
                          into problems: inout [String]) {
        func fail(_ message: String) { problems.append(Self.at(pointer, message)) }
        guard depth < Self.maxDepth else { return fail("schema nesting exceeds \(Self.maxDepth) (a $ref cycle?)") }
        let s: JSONObject
        switch schema {
        case .bool(true): return
        case .bool(false): return fail("no value is allowed here (schema false)")
        case .object(let object): s = object
        default: return fail("schema is not an object: \(Self.describe(schema))")
        }

        // OpenAPI 3.0: keywords next to `$ref` are ignored.
        if let ref = s["$ref"] {
            guard let target = ref.stringValue.flatMap(resolve) else { return fail("unresolvable $ref \(Self.describe(ref))") }
            return validate(value, target, pointer: pointer, depth: depth + 1, into: &problems)
        }
        // `nullable: true` admits null whatever `type` and `enum` say.
        if value.isNull, s["nullable"] == .bool(true) { return }

        if let type = s["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? type.stringValue.map { [$0] } ?? []
            if !allowed.contains(where: { Self.hasType(value, $0) }) {
                let nullNote = value.isNull ? " (not nullable)" : ""
                return fail("expected \(allowed.joined(separator: " or ")), got \(Self.typeName(value))\(nullNote)")
            }
        }
        if let options = s["enum"]?.arrayValue, !options.contains(where: { Self.equal($0, value) }) {
            fail("\(Self.describe(value)) is not one of \(Self.describe(.array(options)))")
        }
        if let constant = s["const"], !Self.equal(constant, value) {
            fail("\(Self.describe(value)) is not the constant \(Self.describe(constant))")
        }

        switch value {
        case .string(let string): checkString(string, s, pointer: pointer, &problems)
        case .int, .double: checkNumber(value, s, pointer: pointer, &problems)
        case .array(let items): checkArray(items, s, pointer: pointer, depth: depth, &problems)
        case .object(let object): checkObject(object, s, pointer: pointer, depth: depth, &problems)
        case .null, .bool: break
        }

        if let all = s["allOf"]?.arrayValue {
            for sub in all { validate(value, sub, pointer: pointer, depth: depth + 1, into: &problems) }
        }
        if let any = s["anyOf"]?.arrayValue {
            let results = any.map { sub in subProblems(value, sub, pointer, depth) }
            if !results.contains(where: \.isEmpty) {
                reportNoMatch("anyOf", results, pointer: pointer, &problems)
            }
        }
        if let one = s["oneOf"]?.arrayValue {
            let results = one.map { sub in subProblems(value, sub, pointer, depth) }
            let matching = results.indices.filter { results[$0].isEmpty }
            if matching.isEmpty {
                reportNoMatch("oneOf", results, pointer: pointer, &problems)
            } else if matching.count > 1 {
                fail("matches more than one oneOf schema (\(matching.map { "oneOf[\($0)]" }.joined(separator: ", ")))")
            }
        }
        // `{"not": {}}` matches nothing: `{}` accepts every value.
        if let not = s["not"], subProblems(value, not, pointer, depth).isEmpty {
            fail("\(Self.describe(value)) must not match the `not` schema \(Self.describe(not))")
        }
    }

    private func subProblems(_ value: JSONValue, _ schema: JSONValue, _ pointer: String, _ depth: Int) -> [String] {
        var problems: [String] = []
        validate(value, schema, pointer: pointer, depth: depth + 1, into: &problems)
        return problems
    }

    /// Names the branch that came closest, the one whose problems sit deepest
    /// (a type or `not` failure at this very value is the furthest miss), and its problems.
    private func reportNoMatch(_ keyword: String, _ results: [[String]], pointer: String, _ problems: inout [String]) {
        let here = Self.at(pointer, "")
        func rank(_ branch: [String]) -> (Int, Int) { (branch.filter { $0.hasPrefix(here) }.count, branch.count) }
        let best = results.indices.min { rank(results[$0]) < rank(results[$1]) } ?? 0
        problems.append(Self.at(pointer, "matches none of the \(results.count) \(keyword) schemas; closest is \(keyword)[\(best)]:"))
        problems += results.isEmpty ? [] : results[best].map { "  \(keyword)[\(best)] → \($0)" }
    }

    private func checkString(_ string: String, _ s: JSONObject, pointer: String, _ problems: inout [String]) {
        func fail(_ message: String) { problems.append(Self.at(pointer, message)) }
        // JSON Schema counts lengths in code points.
        let length = string.unicodeScalars.count
        if let min = s["minLength"]?.intValue, length < min { fail("string is \(length) characters, shorter than minLength \(min)") }
        if let max = s["maxLength"]?.intValue, length > max { fail("string is \(length) characters, longer than maxLength \(max)") }
        if let pattern = s["pattern"]?.stringValue {
            switch patterns.matches(pattern, string) {
            case nil: fail("schema pattern \(pattern) is not a valid regular expression")
            case false?: fail("\(Self.describe(.string(string))) does not match pattern \(pattern)")
            case true?: break
            }
        }
        if let format = s["format"]?.stringValue, OpenAPIFormat.check(format, string) == false {
            fail("\(Self.describe(.string(string))) is not a valid \(format)")
        }
    }

    private func checkNumber(_ value: JSONValue, _ s: JSONObject, pointer: String, _ problems: inout [String]) {
        func fail(_ message: String) { problems.append(Self.at(pointer, message)) }
        let shown = Self.describe(value)
        // OpenAPI 3.0 makes exclusiveMinimum/Maximum booleans on minimum/maximum; later drafts numbers.
        if let min = s["minimum"], let order = Self.compare(value, min) {
            let exclusive = s["exclusiveMinimum"] == .bool(true)
            if order < 0 || (exclusive && order == 0) {
                fail("\(shown) is less than \(exclusive ? "or equal to the exclusive " : "")minimum \(Self.describe(min))")
            }
        }
        if let max = s["maximum"], let order = Self.compare(value, max) {
            let exclusive = s["exclusiveMaximum"] == .bool(true)
            if order > 0 || (exclusive && order == 0) {
                fail("\(shown) is greater than \(exclusive ? "or equal to the exclusive " : "")maximum \(Self.describe(max))")
            }
        }
        if let min = s["exclusiveMinimum"], min.doubleValue != nil, let order = Self.compare(value, min), order <= 0 {
            fail("\(shown) is not greater than exclusiveMinimum \(Self.describe(min))")
        }
        if let max = s["exclusiveMaximum"], max.doubleValue != nil, let order = Self.compare(value, max), order >= 0 {
            fail("\(shown) is not less than exclusiveMaximum \(Self.describe(max))")
        }
        if let step = s["multipleOf"]?.doubleValue, step > 0, let number = value.doubleValue {
            let quotient = number / step
            if quotient.isFinite, quotient != quotient.rounded() { fail("\(shown) is not a multiple of \(step)") }
        }
    }

    private func checkArray(_ items: [JSONValue], _ s: JSONObject, pointer: String, depth: Int,
                            _ problems: inout [String]) {
        func fail(_ message: String) { problems.append(Self.at(pointer, message)) }
        if let min = s["minItems"]?.intValue, items.count < min { fail("array has \(items.count) items, fewer than minItems \(min)") }
        if let max = s["maxItems"]?.intValue, items.count > max { fail("array has \(items.count) items, more than maxItems \(max)") }
        if s["uniqueItems"] == .bool(true) {
            for i in items.indices where items[..<i].contains(where: { Self.equal($0, items[i]) }) {
                fail("item \(i) repeats an earlier item (uniqueItems)")
            }
        }
        guard let itemSchema = s["items"] else { return }
        for (i, item) in items.enumerated() {
            // An array of schemas is the older tuple form: one schema per position.
            let sub: JSONValue
            if case .array(let tuple) = itemSchema {
                guard i < tuple.count else { break }
                sub = tuple[i]
            } else {
                sub = itemSchema
            }
            validate(item, sub, pointer: pointer + "/\(i)", depth: depth + 1, into: &problems)
        }
    }

    private func checkObject(_ object: JSONObject, _ s: JSONObject, pointer: String, depth: Int,
                             _ problems: inout [String]) {
        func fail(_ message: String) { problems.append(Self.at(pointer, message)) }
        for case .string(let name) in s["required"]?.arrayValue ?? [] where object[name] == nil {
            fail("missing required property \"\(name)\"")
        }
        if let min = s["minProperties"]?.intValue, object.count < min { fail("object has fewer than \(min) properties") }
        if let max = s["maxProperties"]?.intValue, object.count > max { fail("object has more than \(max) properties") }
        let properties = s["properties"]?.objectValue ?? JSONObject()
        // Absent additionalProperties allows anything, as in JSON Schema.
        let additional = s["additionalProperties"]
        for (key, member) in object {
            let child = pointer + "/" + Self.escape(key)
            if let sub = properties[key] {
                validate(member, sub, pointer: child, depth: depth + 1, into: &problems)
            } else if additional == .bool(false) {
                fail("unexpected property \"\(key)\" (additionalProperties is false)")
            } else if let additional, additional.objectValue != nil {
                validate(member, additional, pointer: child, depth: depth + 1, into: &problems)
            }
        }
    }

    // MARK: helpers

    /// Resolves a same-document reference such as `#/components/schemas/Tenant`.
    func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#") else { return nil }
        var node = root
        let pointer = String(ref.dropFirst()).removingPercentEncodingIfPossible
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch node {
            case .object(let object): guard let next = object[key] else { return nil }; node = next
            case .array(let array): guard let i = Int(key), array.indices.contains(i) else { return nil }; node = array[i]
            default: return nil
            }
        }
        return node
    }

    /// One problem line: the JSON pointer (root shown as `(root)`) and the message.
    static func at(_ pointer: String, _ message: String) -> String {
        "\(pointer.isEmpty ? "(root)" : pointer): \(message)"
    }

    static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func hasType(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): return true
        case ("number", .int), ("number", .double), ("integer", .int): return true
        // A whole number written as `2.0` is still an integer.
        case ("integer", .double(let d)): return d.isFinite && d == d.rounded()
        default: return false
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// JSON equality: numbers compare by value (`1 == 1.0`), objects ignore key order.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int, .int), (.int, .double), (.double, .int), (.double, .double): return compare(a, b) == 0
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        default: return a == b
        }
    }

    /// Orders two numbers, exactly when both are integers; nil when either is not a number.
    static func compare(_ a: JSONValue, _ b: JSONValue) -> Int? {
        if case .int(let x) = a, case .int(let y) = b { return x < y ? -1 : (x > y ? 1 : 0) }
        guard let x = a.doubleValue, let y = b.doubleValue else { return nil }
        return x < y ? -1 : (x > y ? 1 : 0)
    }

    /// Short JSON for messages; long values are cut.
    static func describe(_ value: JSONValue) -> String {
        let text = value.jsonString
        return text.count <= 80 ? text : String(text.prefix(77)) + "..."
    }
}

extension String {
    fileprivate var removingPercentEncodingIfPossible: String { removingPercentEncoding ?? self }
}
