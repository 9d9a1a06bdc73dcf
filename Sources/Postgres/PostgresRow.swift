import CLibPQ
import Foundation

/// The rows of a result, copied out of libpq's PGresult so that the PGresult
/// can be cleared at once. Values stay in PostgreSQL's text format in one
/// contiguous buffer and are parsed only when a cell is read.
public struct PostgresRows: RandomAccessCollection, Sendable {
    let storage: PostgresResultStorage
    /// Rows inserted/updated/deleted/selected, from the command tag
    /// (PQcmdTuples); 0 for commands that report none.
    public let affectedRows: Int
    /// The command tag, e.g. `INSERT 0 1`, `SELECT 3`, `BEGIN`.
    public let commandTag: String

    public var columns: [String] { storage.columns }
    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.rowCount }
    public subscript(position: Int) -> PostgresRow {
        precondition(position >= 0 && position < storage.rowCount, "row index out of range")
        return PostgresRow(storage: storage, row: position)
    }

    /// Copies everything needed out of `result` (which the caller clears).
    init(result: OpaquePointer) {
        storage = PostgresResultStorage(result: result)
        commandTag = String(cString: PQcmdStatus(result))
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }
}

final class PostgresResultStorage: Sendable {
    let columns: [String]
    let typeOIDs: [UInt32]
    let rowCount: Int
    let columnCount: Int
    let bytes: [UInt8]
    /// Per cell (row-major): offset into `bytes`, and length (-1 for NULL).
    let starts: [Int]
    let lengths: [Int32]
    /// Name lookup for wide rows; narrow rows are scanned linearly (cheaper).
    private let index: [String: Int]?

    init(result: OpaquePointer) {
        let rows = Int(PQntuples(result))
        let cols = Int(PQnfields(result))
        rowCount = rows
        columnCount = cols
        var names: [String] = []
        var oids: [UInt32] = []
        names.reserveCapacity(cols)
        oids.reserveCapacity(cols)
        for c in 0..<cols {
            names.append(String(cString: PQfname(result, Int32(c))))
            oids.append(PQftype(result, Int32(c)))
        }
        columns = names
        typeOIDs = oids
        if cols > 12 {
            var map: [String: Int] = [:]
            for (i, name) in names.enumerated() where map[name] == nil { map[name] = i }
            index = map
        } else {
            index = nil
        }

        let cells = rows * cols
        var starts = [Int](repeating: 0, count: cells)
        var lengths = [Int32](repeating: -1, count: cells)
        var total = 0
        for r in 0..<rows {
            for c in 0..<cols where PQgetisnull(result, Int32(r), Int32(c)) == 0 {
                let len = PQgetlength(result, Int32(r), Int32(c))
                starts[r * cols + c] = total
                lengths[r * cols + c] = len
                total += Int(len)
            }
        }
        bytes = [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            guard let base = buffer.baseAddress else { count = 0; return }
            for r in 0..<rows {
                for c in 0..<cols {
                    let k = r * cols + c
                    let len = Int(lengths[k])
                    if len > 0, let value = PQgetvalue(result, Int32(r), Int32(c)) {
                        memcpy(base + starts[k], value, len)
                    }
                }
            }
            count = total
        }
        self.starts = starts
        self.lengths = lengths
    }

    @inline(__always) func columnIndex(_ name: String) -> Int? {
        if let index { return index[name] }
        return columns.firstIndex(of: name)
    }
}

/// One row of a result. Read cells by name or index:
///
///     let id = try row.decode("id", as: UUID.self)       // throws if NULL
///     let note = try row.optional("note", as: String.self) // nil if NULL
///     let n = row["count"].int                            // nil if NULL/invalid
public struct PostgresRow: Sendable {
    let storage: PostgresResultStorage
    let row: Int

    public var columns: [String] { storage.columns }

    public subscript(column: String) -> PostgresCell {
        PostgresCell(storage: storage, row: row, column: storage.columnIndex(column) ?? -1, missingName: column)
    }

    public subscript(column: Int) -> PostgresCell {
        let valid = column >= 0 && column < storage.columnCount
        // The name is formatted only for a missing column: this runs per cell read.
        return PostgresCell(storage: storage, row: row, column: valid ? column : -1, missingName: valid ? "" : "#\(column)")
    }

    /// The value of a non-NULL column; throws `.decoding` if the column is
    /// missing, NULL (unless `T` is Optional), or not a valid `T`.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(as: T.self)
    }

    public func decode<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws -> T {
        try self[column].decode(as: T.self)
    }

    /// nil for NULL; throws if the column is missing or the value invalid.
    public func optional<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        try self[column].decode(as: T?.self)
    }

    public func optional<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws -> T? {
        try self[column].decode(as: T?.self)
    }
}
