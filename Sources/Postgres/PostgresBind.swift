import Foundation

/// A Swift value that can be bound to a `$n` parameter.
///
/// Every parameter is sent in PostgreSQL's text input format. Most types send
/// type OID 0 ("unknown"), so the server infers the type from context: a
/// `String` bound to a `uuid` column is parsed as a uuid, an `Int` compared
/// with an `int4` column is an `int4`. Where there is no context (`SELECT $1`)
/// add a cast in SQL: `SELECT $1::int8`.
///
/// JSON: bind `PostgresJSONB(text)`, which is typed `jsonb` so operators such
/// as `$1->>'key'` work without a cast; a plain `String` also works where the
/// context is a jsonb column, or with `$1::jsonb`.
///
/// Text arrays for `= ANY($1)`: bind `[String]` (or `[Int]`, `[UUID]`...);
/// it is sent as a properly quoted `{...}` literal.
public protocol PostgresBind: Sendable {
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }
    /// Parameter type OID; 0 lets the server infer it.
    var postgresTypeOID: UInt32 { get }
}

extension PostgresBind {
    public var postgresTypeOID: UInt32 { 0 }
}

/// Raw JSON text for a `jsonb` parameter or column.
public struct PostgresJSONB: Sendable, Hashable, PostgresBind {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var postgresText: String { text }
    public var postgresTypeOID: UInt32 { 3802 } // jsonb
}

extension String: PostgresBind {
    public var postgresText: String { self }
}

extension Substring: PostgresBind {
    public var postgresText: String { String(self) }
}

extension Int: PostgresBind {
    public var postgresText: String { String(self) }
}

extension Int64: PostgresBind {
    public var postgresText: String { String(self) }
}

extension Int32: PostgresBind {
    public var postgresText: String { String(self) }
}

extension Int16: PostgresBind {
    public var postgresText: String { String(self) }
}

extension Bool: PostgresBind {
    public var postgresText: String { self ? "true" : "false" }
}

extension Double: PostgresBind {
    public var postgresText: String {
        // Swift prints "inf"/"nan"; PostgreSQL wants "Infinity"/"NaN".
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return String(self) // shortest round-tripping form
    }
}

extension UUID: PostgresBind {
    public var postgresText: String { uuidString }
}

extension Date: PostgresBind {
    /// ISO-8601 in UTC with microseconds, e.g. `2026-11-29T18:00:00.123000Z`.
    public var postgresText: String { PostgresDate.format(self) }
}

extension Data: PostgresBind {
    public var postgresText: String { PostgresBytea.hex(self) }
}

// MARK: - Arrays

/// An element of a PostgreSQL array parameter or column (`text[]`, `int8[]`,
/// `uuid[]`...). `[UInt8]` is special-cased as `bytea`, not `smallint[]`.
public protocol PostgresArrayElement: Sendable {
    /// Text of one element; nil for NULL.
    var postgresArrayElementText: String? { get }
    /// Decodes one element from an array's text output; nil means NULL.
    static func decodeArrayElement(_ text: String?) throws -> Self
}

extension PostgresArrayElement where Self: PostgresBind {
    public var postgresArrayElementText: String? { postgresText }
}

extension Array: PostgresBind where Element: PostgresArrayElement {
    public var postgresText: String {
        if Element.self == UInt8.self {
            return PostgresBytea.hex(self as! [UInt8])
        }
        // Quote every element: always valid, whatever the element type.
        // Built as UTF-8 bytes: a batch of outcomes binds arrays of
        // hundreds of elements, and appending a scalar at a time to a
        // String cost a third of the worker's time.
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(count * 16 + 2)
        var first = true
        for element in self {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            guard var text = element.postgresArrayElementText else {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            out.append(UInt8(ascii: "\""))
            text.withUTF8 { bytes in
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                    out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}

private func elementError(_ type: String, _ text: String?) -> PostgresError {
    PostgresError(.decoding, text == nil ? "NULL array element for non-optional \(type)"
                                         : "invalid \(type) array element")
}

extension String: PostgresArrayElement {
    public static func decodeArrayElement(_ text: String?) throws -> String {
        guard let text else { throw elementError("String", nil) }
        return text
    }
}

extension Int: PostgresArrayElement {
    public static func decodeArrayElement(_ text: String?) throws -> Int {
        guard let text, let v = Int(text) else { throw elementError("Int", text) }
        return v
    }
}

extension Int64: PostgresArrayElement {
    public static func decodeArrayElement(_ text: String?) throws -> Int64 {
        guard let text, let v = Int64(text) else { throw elementError("Int64", text) }
        return v
    }
}

extension Int32: PostgresArrayElement {
    public static func decodeArrayElement(_ text: String?) throws -> Int32 {
        guard let text, let v = Int32(text) else { throw elementError("Int32", text) }
        return v
    }
}

extension Bool: PostgresArrayElement {
    public static func decodeArrayElement(_ text: String?) throws -> Bool {
        switch text {
        case "t", "true": return true
        case "f", "false": return false
        default: throw elementError("Bool", text)
        }
    }
}

extension Double: PostgresArrayElement {
    public static func decodeArrayElement(_ text: String?) throws -> Double {
        guard let text, let v = PostgresNumber.double(text) else { throw elementError("Double", text) }
        return v
    }
}

extension UUID: PostgresArrayElement {
    public static func decodeArrayElement(_ text: String?) throws -> UUID {
        guard let text, let v = UUID(uuidString: text) else { throw elementError("UUID", text) }
        return v
    }
}

extension UInt8: PostgresArrayElement {
    // Only here so `[UInt8]` can conform to PostgresBind (as bytea).
    public var postgresArrayElementText: String? { String(self) }
    public static func decodeArrayElement(_ text: String?) throws -> UInt8 {
        guard let text, let v = UInt8(text) else { throw elementError("UInt8", text) }
        return v
    }
}

extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
    public var postgresArrayElementText: String? { self?.postgresArrayElementText }
    public static func decodeArrayElement(_ text: String?) throws -> Wrapped? {
        guard let text else { return nil }
        return try Wrapped.decodeArrayElement(text)
    }
}
