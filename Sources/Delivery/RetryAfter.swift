import Foundation
import Glibc

/// The `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an
/// HTTP-date. Parsed by hand rather than with a DateFormatter so it accepts
/// exactly the three date forms HTTP allows, whatever the process locale.
enum RetryAfter {
    /// A provider asking for more than a day is treated as asking for a day:
    /// the worker still decides, but a bogus header cannot park a message forever.
    static let maximum: Duration = .seconds(86_400)

    /// The wait the header asks for, from `now`; nil when it is malformed.
    /// A date in the past means "now" (zero).
    static func parse(_ value: String, now: Date = Date()) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }) {
            // Many digits are still a valid (huge) delay: clamp, do not overflow.
            guard let seconds = Int64(text.prefix(12)) else { return nil }
            return min(.seconds(seconds), maximum)
        }
        guard let date = httpDate(text) else { return nil }
        let seconds = max(0, date.timeIntervalSince(now))
        return min(.milliseconds(Int64(min(seconds, 1e9) * 1000)), maximum)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 850
    /// `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994`.
    static func httpDate(_ text: String) -> Date? {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" }).map(String.init)
        guard (5...6).contains(tokens.count) else { return nil }
        var month: Int?
        var time: [Int]?
        var numbers: [String] = []
        for token in tokens.dropFirst() {  // the first is the weekday
            if let index = months.firstIndex(of: token.lowercased()) {
                month = index
            } else if token.contains(":") {
                let parts = token.split(separator: ":", omittingEmptySubsequences: false).compactMap { Int($0) }
                guard parts.count == 3, token.count == 8 else { return nil }
                time = parts
            } else if token.uppercased() == "GMT" {
                continue
            } else if !token.isEmpty, token.utf8.allSatisfy({ (48...57).contains($0) }) {
                numbers.append(token)
            } else {
                return nil
            }
        }
        // IMF and RFC 850 put the day first, asctime the year last.
        guard let month, let time, numbers.count == 2,
              let day = Int(numbers[0]), var year = Int(numbers[1]),
              numbers[0].count <= 2, numbers[1].count == 2 || numbers[1].count == 4 else { return nil }
        if numbers[1].count == 2 { year += year < 70 ? 2000 : 1900 }
        guard (1...31).contains(day), time[0] < 24, time[1] < 60, time[2] < 61 else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(time[0])
        parts.tm_min = Int32(time[1])
        parts.tm_sec = Int32(time[2])
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
