import Foundation

/// Reads settings out of an environment dictionary: Herald's one parser of
/// numbers and durations, so every setting says what is wrong the same way.
struct SettingsReader {
    let environment: [String: String]

    /// The value with spaces trimmed; nil when unset or empty.
    func text(_ key: String) -> String? {
        guard let value = environment[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// A whole number in `range`; nil when unset.
    func optionalInteger(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
        guard let text = text(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError("\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func integer(_ key: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
        try optionalInteger(key, range) ?? fallback
    }

    /// Whole seconds in `range`; nil when unset.
    func seconds(_ key: String, _ range: ClosedRange<Int>) throws -> Duration? {
        try optionalInteger(key, range).map { .seconds($0) }
    }

    /// Whole milliseconds in `range`; nil when unset.
    func milliseconds(_ key: String, _ range: ClosedRange<Int>) throws -> Duration? {
        try optionalInteger(key, range).map { .milliseconds($0) }
    }

    /// A TCP port from 1 to 65535; nil when unset.
    func port(_ key: String) throws -> Int? {
        guard let text = text(key) else { return nil }
        guard let port = Int(text), (1...65535).contains(port) else { throw ConfigurationError("\(key) must be a port number") }
        return port
    }
}
