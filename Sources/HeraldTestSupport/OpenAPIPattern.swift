import Foundation

/// Compiled `pattern` keywords, shared by every validator in the process: the
/// contract repeats a handful of patterns hundreds of times.
final class OpenAPIPatternCache: @unchecked Sendable {
    static let shared = OpenAPIPatternCache()

    private let lock = NSLock()
    // nil records a pattern that does not compile, so it is reported, not retried.
    private var compiled: [String: NSRegularExpression?] = [:]

    /// The pattern compiled with ECMA-262 meaning, or nil when it is not a valid regex.
    func regex(_ pattern: String) -> NSRegularExpression? {
        lock.lock()
        defer { lock.unlock() }
        if let cached = compiled[pattern] { return cached }
        let regex = try? NSRegularExpression(pattern: ECMAPattern.toICU(pattern))
        compiled[pattern] = regex
        return regex
    }

    /// Unanchored search, as JSON Schema's `pattern` specifies.
    func matches(_ pattern: String, _ string: String) -> Bool? {
        guard let regex = regex(pattern) else { return nil }
        let range = NSRange(string.startIndex..., in: string)
        return regex.firstMatch(in: string, options: [], range: range) != nil
    }
}

/// Rewrites an ECMA-262 regex (JSON Schema's dialect) into ICU syntax, where the
/// two differ in ways the contract's patterns could hit:
/// - `$` without the m flag is end of input in ECMA; ICU also matches before a final newline.
/// - `\d`, `\w` are ASCII in ECMA and Unicode in ICU.
/// - Inside a class, ICU treats `[` as a nested set, `&&`/`--` as set operators
///   and rejects some literal hyphens; ECMA treats them as plain characters.
enum ECMAPattern {
    static func toICU(_ pattern: String) -> String {
        let chars = Array(pattern.unicodeScalars)
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "\\" where i + 1 < chars.count:
                out += outsideEscape(chars[i + 1])
                i += 2
            case "[":
                i = translateClass(chars, from: i, into: &out)
            case "$":
                out += "\\z"
                i += 1
            default:
                out.unicodeScalars.append(c)
                i += 1
            }
        }
        return out
    }

    private static func outsideEscape(_ c: Unicode.Scalar) -> String {
        switch c {
        case "d": return "[0-9]"
        case "D": return "[^0-9]"
        case "w": return "[A-Za-z0-9_]"
        case "W": return "[^A-Za-z0-9_]"
        default: return "\\" + String(c)
        }
    }

    /// Translates the class starting at `start` (a `[`); returns the index after its `]`.
    private static func translateClass(_ chars: [Unicode.Scalar], from start: Int, into out: inout String) -> Int {
        var i = start + 1
        let negated = i < chars.count && chars[i] == "^"
        if negated { i += 1 }
        // ECMA: `[]` matches nothing and `[^]` matches anything; ICU rejects both.
        if i < chars.count, chars[i] == "]" {
            out += negated ? "[\\s\\S]" : "(?!)"
            return i + 1
        }
        out += negated ? "[^" : "["
        while i < chars.count, chars[i] != "]" {
            let (first, next, isSet) = classAtom(chars, i)
            i = next
            // A range needs two single characters around the hyphen; anything else is literal.
            if !isSet, i + 1 < chars.count, chars[i] == "-", chars[i + 1] != "]" {
                let (second, after, secondIsSet) = classAtom(chars, i + 1)
                if !secondIsSet {
                    out += first + "-" + second
                    i = after
                    continue
                }
            }
            out += first
        }
        out += "]"
        return min(i + 1, chars.count)
    }

    /// One class member in ICU syntax, the index after it, and whether it is a set (`\d`).
    private static func classAtom(_ chars: [Unicode.Scalar], _ i: Int) -> (String, Int, Bool) {
        let c = chars[i]
        if c == "\\", i + 1 < chars.count {
            let e = chars[i + 1]
            switch e {
            case "d": return ("0-9", i + 2, true)
            case "w": return ("A-Za-z0-9_", i + 2, true)
            case "D": return ("[^0-9]", i + 2, true)
            case "W": return ("[^A-Za-z0-9_]", i + 2, true)
            case "s", "S": return ("\\" + String(e), i + 2, true)
            case "b": return ("\\x{08}", i + 2, false)  // backspace inside a class
            default: return ("\\" + String(e), i + 2, false)
            }
        }
        // Characters ICU gives a meaning inside sets are escaped to stay literal.
        if "[&-~{}$:^".unicodeScalars.contains(c) { return ("\\" + String(c), i + 1, false) }
        return (String(c), i + 1, false)
    }
}
