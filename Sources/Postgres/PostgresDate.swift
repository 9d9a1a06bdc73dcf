import Foundation

/// Date <-> PostgreSQL text, parsed and printed digit by digit: this is on
/// the row-decoding hot path, and DateFormatter is both slow and locale-prone.
enum PostgresDate {
    // MARK: Parsing

    /// Parses `timestamptz` / `timestamp` / `date` text output, e.g.
    /// `2026-11-29 18:00:00.123+00`, `2026-11-29 18:00:00+05:30`,
    /// `2026-11-29`, `0044-03-15 12:00:00+00 BC`, `infinity`.
    /// A value without an offset (`timestamp`, `date`) is taken as UTC.
    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Date? {
        let n = b.count
        var i = 0

        @inline(__always) func digits(_ count: Int) -> Int? {
            guard i + count <= n else { return nil }
            var v = 0
            for _ in 0..<count {
                let d = Int(b[i]) &- 48
                guard d >= 0 && d <= 9 else { return nil }
                v = v * 10 + d
                i += 1
            }
            return v
        }
        @inline(__always) func expect(_ c: UInt8) -> Bool {
            guard i < n, b[i] == c else { return false }
            i += 1
            return true
        }

        if n > 0, b[0] == UInt8(ascii: "i") || b[0] == UInt8(ascii: "-") && n > 1 && b[1] == UInt8(ascii: "i") {
            return b[0] == UInt8(ascii: "-") ? .distantPast : .distantFuture
        }

        // Year: four or more digits.
        var year = 0
        var yearDigits = 0
        while i < n, b[i] >= 48, b[i] <= 57 {
            year = year * 10 + Int(b[i] - 48)
            i += 1
            yearDigits += 1
            if yearDigits > 9 { return nil }
        }
        guard yearDigits >= 4, expect(UInt8(ascii: "-")), let month = digits(2),
              expect(UInt8(ascii: "-")), let day = digits(2),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }

        var secondsOfDay = 0
        var micros = 0
        var offset = 0
        if i < n, b[i] == UInt8(ascii: " ") || b[i] == UInt8(ascii: "T"), i + 1 < n, b[i + 1] != UInt8(ascii: "B") {
            i += 1
            guard let h = digits(2), expect(UInt8(ascii: ":")), let m = digits(2),
                  expect(UInt8(ascii: ":")), let s = digits(2)
            else { return nil }
            secondsOfDay = h * 3600 + m * 60 + s
            if expect(UInt8(ascii: ".")) {
                var scale = 100_000
                while i < n, b[i] >= 48, b[i] <= 57 {
                    micros += Int(b[i] - 48) * scale // digits past the 6th are dropped
                    scale /= 10
                    i += 1
                }
            }
            if i < n, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = digits(2) else { return nil }
                var off = oh * 3600
                if expect(UInt8(ascii: ":")) {
                    guard let om = digits(2) else { return nil }
                    off += om * 60
                    if expect(UInt8(ascii: ":")) {
                        guard let os = digits(2) else { return nil }
                        off += os
                    }
                }
                offset = sign * off
            } else {
                _ = expect(UInt8(ascii: "Z"))
            }
        }
        if i + 3 == n, b[i] == UInt8(ascii: " "), b[i + 1] == UInt8(ascii: "B"), b[i + 2] == UInt8(ascii: "C") {
            year = 1 - year // 1 BC is astronomical year 0
            i = n
        }
        guard i == n else { return nil }

        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + secondsOfDay - offset
        // One rounding (exact integer / 1e6) so values round-trip exactly.
        return Date(timeIntervalSince1970: Double(seconds * 1_000_000 + micros) / 1_000_000)
    }

    // MARK: Formatting

    /// `2026-11-29T18:00:00.123456Z` (UTC, microseconds), which PostgreSQL
    /// accepts for timestamptz, timestamp and date.
    static func format(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        guard t.isFinite, abs(t) < 1e13 else { return t < 0 ? "-infinity" : "infinity" }
        let totalMicros = Int64((t * 1_000_000).rounded())
        var secs = totalMicros / 1_000_000
        var micros = totalMicros % 1_000_000
        if micros < 0 { micros += 1_000_000; secs -= 1 }
        var days = secs / 86_400
        var sod = secs % 86_400
        if sod < 0 { sod += 86_400; days -= 1 }
        let (y, m, d) = civilFromDays(Int(days))

        var out: [UInt8] = []
        out.reserveCapacity(36)
        func put(_ v: Int, width: Int) {
            var buf: [UInt8] = []
            var x = v
            repeat { buf.append(UInt8(48 + x % 10)); x /= 10 } while x > 0
            while buf.count < width { buf.append(48) }
            out.append(contentsOf: buf.reversed())
        }
        let bc = y <= 0
        put(bc ? 1 - y : y, width: 4)
        out.append(UInt8(ascii: "-")); put(m, width: 2)
        out.append(UInt8(ascii: "-")); put(d, width: 2)
        out.append(UInt8(ascii: bc ? " " : "T")); put(Int(sod / 3600), width: 2)
        out.append(UInt8(ascii: ":")); put(Int(sod / 60 % 60), width: 2)
        out.append(UInt8(ascii: ":")); put(Int(sod % 60), width: 2)
        out.append(UInt8(ascii: ".")); put(Int(micros), width: 6)
        if bc {
            out.append(contentsOf: Array("+00 BC".utf8))
        } else {
            out.append(UInt8(ascii: "Z"))
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Calendar arithmetic (proleptic Gregorian, Howard Hinnant's algorithms)

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
