import Foundation
import Postgres

/// A position in a newest-first list. On the wire it is a date-time string:
/// the `createdAt` of the last item seen, optionally carrying the row's `seq`
/// as 15 extra fraction digits (`…00.123000000000000042Z`). The extra digits
/// break ties between rows created in the same millisecond, so paging never
/// skips or repeats a row; a plain `createdAt` from a client works too.
public struct Cursor: Sendable, Equatable {
    /// An ISO-8601 timestamp PostgreSQL can read.
    public let timestamp: String
    /// The row's tie-breaker, 0 when the client sent a plain timestamp.
    public let seq: Int64

    static let seqDigits = 15

    public init(timestamp: String, seq: Int64) {
        self.timestamp = timestamp
        self.seq = seq
    }

    /// Parses a client's cursor; nil when it is not an ISO-8601 date-time.
    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard Cursor.isDateTime(bytes) else { return nil }
        // Our own form: 23 characters of millisecond timestamp, 15 seq digits, Z.
        let ours = 20 + 3 + Cursor.seqDigits + 1
        if bytes.count == ours, bytes[19] == UInt8(ascii: "."), bytes.last == UInt8(ascii: "Z"),
           let seq = Int64(String(decoding: bytes[23..<(23 + Cursor.seqDigits)], as: UTF8.self)) {
            self.init(timestamp: String(decoding: bytes[0..<23], as: UTF8.self) + "Z", seq: seq)
        } else {
            self.init(timestamp: text, seq: 0)
        }
    }

    /// The wire form for a row with this `createdAt` (millisecond ISO) and seq.
    public static func encode(createdAt: String, seq: Int64) -> String {
        let digits = String(seq)
        let padded = String(repeating: "0", count: max(0, seqDigits - digits.count)) + digits
        return String(createdAt.dropLast()) + padded + "Z"
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, checked strictly: a real
    /// calendar date in years 1–9999, a time of day, at most 9 fraction digits
    /// and an offset within ±15:59, so that PostgreSQL reads every cursor we
    /// accept (it refuses month 13, February 30, year 0 and offsets of 16 hours).
    static func isDateTime(_ b: [UInt8]) -> Bool {
        func digits(_ range: Range<Int>) -> Bool {
            range.upperBound <= b.count && range.allSatisfy { b[$0] >= 48 && b[$0] <= 57 }
        }
        func number(_ range: Range<Int>) -> Int {
            range.reduce(0) { $0 * 10 + Int(b[$1] - 48) }
        }
        guard b.count >= 20, digits(0..<4), b[4] == 45, digits(5..<7), b[7] == 45, digits(8..<10),
              b[10] == 84 || b[10] == 116, digits(11..<13), b[13] == 58, digits(14..<16), b[16] == 58,
              digits(17..<19) else { return false }
        let year = number(0..<4), month = number(5..<7), day = number(8..<10)
        guard year >= 1, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              number(11..<13) <= 23, number(14..<16) <= 59, number(17..<19) <= 59 else { return false }
        var i = 19
        if i < b.count, b[i] == 46 {
            i += 1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            guard i > start, i - start <= 9 + seqDigits else { return false }
        }
        guard i < b.count else { return false }
        if b[i] == 90 || b[i] == 122 { return i + 1 == b.count }
        guard b[i] == 43 || b[i] == 45, b.count == i + 6, digits((i + 1)..<(i + 3)), b[i + 3] == 58,
              digits((i + 4)..<(i + 6)) else { return false }
        return number((i + 1)..<(i + 3)) <= 15 && number((i + 4)..<(i + 6)) <= 59
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

public struct PageRequest: Sendable {
    public var cursor: Cursor?
    public var perPage: Int

    public static let defaultPerPage = 20
    public static let maxPerPage = 100

    public init(cursor: Cursor? = nil, perPage: Int = PageRequest.defaultPerPage) {
        self.cursor = cursor
        self.perPage = perPage
    }
}

/// One page of JSON objects (as text) plus the contract's `meta`.
public struct Page: Sendable {
    public var items: [String]
    public var total: Int
    public var perPage: Int
    public var next: String?
    public var prev: String?

    public var numPages: Int { total == 0 ? 0 : (total + perPage - 1) / perPage }
}

/// A listable table: what to select and how to filter it. The fragments are
/// constants of the code, never input; values are bound as `$1…`.
struct PageQuery {
    /// e.g. `tenants t`; the alias must be `t`.
    let from: String
    /// A JSON expression over `t`.
    let projection: String
    /// A condition over `t` using `$1…$n` for `binds`.
    let filter: String
    let binds: [(any PostgresBind)?]
}

extension PostgresConnection {
    func page(_ query: PageQuery, _ request: PageRequest) throws -> Page {
        let n = query.binds.count
        var binds = query.binds
        var condition = query.filter
        if let cursor = request.cursor {
            condition += " AND (t.created_at, t.seq) < ($\(n + 1)::timestamptz, $\(n + 2)::bigint)"
            binds.append(cursor.timestamp)
            binds.append(cursor.seq)
        }
        binds.append(request.perPage + 1)
        let rows = try self.query("""
            SELECT (\(query.projection))::text AS json, herald_ts(t.created_at) AS created_at, t.seq FROM \(query.from)
            WHERE \(condition) ORDER BY t.created_at DESC, t.seq DESC LIMIT $\(binds.count)
            """, binds)
        var items: [String] = []
        items.reserveCapacity(min(rows.count, request.perPage))
        var next: String?
        for (index, row) in rows.enumerated() {
            if index == request.perPage {
                let last = rows[index - 1]
                next = Cursor.encode(createdAt: try last.decode("created_at", as: String.self),
                                     seq: try last.decode("seq", as: Int64.self))
                break
            }
            items.append(try row.decode("json", as: String.self))
        }
        let total = try self.query("SELECT count(*) AS total FROM \(query.from) WHERE \(query.filter)", query.binds)
            .first?.decode("total", as: Int.self) ?? 0
        var prev: String?
        if let cursor = request.cursor {
            // The page before this one: the rows at or after the cursor, oldest first.
            let newer = try self.query("""
                SELECT herald_ts(t.created_at) AS created_at, t.seq FROM \(query.from)
                WHERE \(query.filter) AND (t.created_at, t.seq) >= ($\(n + 1)::timestamptz, $\(n + 2)::bigint)
                ORDER BY t.created_at ASC, t.seq ASC LIMIT $\(n + 3)
                """, query.binds + [cursor.timestamp, cursor.seq, request.perPage + 1])
            if newer.count > request.perPage {
                let row = newer[request.perPage]
                prev = Cursor.encode(createdAt: try row.decode("created_at", as: String.self), seq: try row.decode("seq", as: Int64.self))
            } else if let newest = newer.last {
                // The previous page is the first one: a cursor just past the newest row.
                prev = Cursor.encode(createdAt: try newest.decode("created_at", as: String.self),
                                     seq: try newest.decode("seq", as: Int64.self) + 1)
            }
        }
        return Page(items: items, total: total, perPage: request.perPage, next: next, prev: prev)
    }
}
