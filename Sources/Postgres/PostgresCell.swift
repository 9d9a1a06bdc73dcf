import Foundation

/// One value of a row, still in text format. The convenience accessors return
/// nil for NULL, a missing column or an unparsable value; use
/// `decode(as:)` (or `PostgresRow.decode`) to get an error that says which.
public struct PostgresCell: Sendable {
    let storage: PostgresResultStorage
    let row: Int
    /// -1 when the requested column does not exist.
    let column: Int
    let missingName: String

    public var exists: Bool { column >= 0 }
    public var columnName: String { column >= 0 ? storage.columns[column] : missingName }
    /// The column's type OID (e.g. 25 text, 20 int8, 1184 timestamptz).
    public var typeOID: UInt32 { column >= 0 ? storage.typeOIDs[column] : 0 }

    public var isNull: Bool {
        column < 0 || storage.lengths[row * storage.columnCount + column] < 0
    }

    /// Runs `body` over the raw text bytes; nil for NULL or a missing column.
    @inline(__always)
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R?) rethrows -> R? {
        guard column >= 0 else { return nil }
        let k = row * storage.columnCount + column
        let length = Int(storage.lengths[k])
        guard length >= 0 else { return nil }
        let start = storage.starts[k]
        return try storage.bytes.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[start..<start + length]))
        }
    }

    public var string: String? { withBytes { String(decoding: $0, as: UTF8.self) } }
    public var int64: Int64? { withBytes(PostgresNumber.int64) }
    public var int: Int? { int64.flatMap { Int(exactly: $0) } }
    public var int32: Int32? { int64.flatMap { Int32(exactly: $0) } }
    public var bool: Bool? { withBytes(PostgresNumber.bool) }
    public var double: Double? { withBytes { PostgresNumber.double($0) } }
    public var uuid: UUID? { withBytes(PostgresUUID.parse) }
    /// timestamptz / timestamp (taken as UTC) / date.
    public var date: Date? { withBytes(PostgresDate.parse) }
    /// bytea.
    public var bytes: [UInt8]? { withBytes(PostgresBytea.parse) }
    /// json / jsonb as its text.
    public var jsonText: String? { string }
    /// A one-dimensional array (`text[]`, `int8[]`...) as element texts.
    public var stringArray: [String]? { try? decode(as: [String].self) }

    /// Decodes this value as `T`. NULL decodes only into an Optional.
    public func decode<T: PostgresDecodable>(as type: T.Type = T.self) throws -> T {
        guard column >= 0 else {
            throw PostgresError(.decoding, "no column named \(missingName) in result")
        }
        if isNull { return try T.decodeNull(column: columnName) }
        return try T.decode(from: self)
    }

    /// The error a conformance throws when the text is not a valid `T`.
    /// Deliberately without the value, which may be sensitive.
    public func invalid(_ typeName: String) -> PostgresError {
        PostgresError(.decoding, "column \(columnName) (type oid \(typeOID)) is not a valid \(typeName)")
    }

    @inline(__always)
    func parse<T>(_ typeName: String, _ parser: (UnsafeBufferPointer<UInt8>) -> T?) throws -> T {
        guard let value = withBytes(parser) else { throw invalid(typeName) }
        return value
    }
}

/// A type that can be read from a (non-NULL) cell's text.
public protocol PostgresDecodable {
    static func decode(from cell: PostgresCell) throws -> Self
    /// What a NULL decodes to; throws for non-optional types.
    static func decodeNull(column: String) throws -> Self
}

extension PostgresDecodable {
    public static func decodeNull(column: String) throws -> Self {
        throw PostgresError(.decoding, "column \(column) is NULL, expected \(Self.self)")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Wrapped? {
        try Wrapped.decode(from: cell)
    }
    public static func decodeNull(column: String) throws -> Wrapped? { nil }
}

extension String: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> String {
        try cell.parse("String") { String(decoding: $0, as: UTF8.self) }
    }
}

extension Int64: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int64 {
        try cell.parse("Int64", PostgresNumber.int64)
    }
}

extension Int: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int {
        try cell.parse("Int") { PostgresNumber.int64($0).flatMap { Int(exactly: $0) } }
    }
}

extension Int32: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int32 {
        try cell.parse("Int32") { PostgresNumber.int64($0).flatMap { Int32(exactly: $0) } }
    }
}

extension Int16: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int16 {
        try cell.parse("Int16") { PostgresNumber.int64($0).flatMap { Int16(exactly: $0) } }
    }
}

extension Bool: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Bool {
        try cell.parse("Bool", PostgresNumber.bool)
    }
}

extension Double: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Double {
        try cell.parse("Double") { PostgresNumber.double($0) }
    }
}

extension UUID: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> UUID {
        try cell.parse("UUID", PostgresUUID.parse)
    }
}

extension Date: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Date {
        try cell.parse("Date", PostgresDate.parse)
    }
}

extension Data: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Data {
        try cell.parse("bytea") { PostgresBytea.parse($0).map { Data($0) } }
    }
}

extension PostgresJSONB: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> PostgresJSONB {
        PostgresJSONB(try String.decode(from: cell))
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    /// `[UInt8]` decodes `bytea`; other element types decode a
    /// one-dimensional array such as `text[]`.
    public static func decode(from cell: PostgresCell) throws -> [Element] {
        if Element.self == UInt8.self {
            return try cell.parse("bytea", PostgresBytea.parse) as! [Element]
        }
        guard let texts = PostgresArrayText.parse(try String.decode(from: cell)) else {
            throw cell.invalid("array")
        }
        do {
            return try texts.map(Element.decodeArrayElement)
        } catch {
            throw cell.invalid("[\(Element.self)]")
        }
    }
}
