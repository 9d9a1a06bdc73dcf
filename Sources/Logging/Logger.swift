import Foundation

/// Structured logs: one JSON object per line on standard error, so any log
/// shipper can read them. Fields are flat strings and numbers; callers never
/// pass secrets, codes or message bodies.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug, info, warning, error

        public init?(name: String) {
            switch name.lowercased() {
            case "debug", "trace": self = .debug
            case "info": self = .info
            case "warn", "warning": self = .warning
            case "error": self = .error
            default: return nil
            }
        }

        var name: String { ["debug", "info", "warning", "error"][rawValue] }
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public enum Value: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)

        public init(stringLiteral value: String) { self = .string(value) }
        public init(integerLiteral value: Int) { self = .int(value) }
    }

    public let label: String
    public let minimumLevel: Level
    /// Fields added to every line, such as a request id.
    public var metadata: [(String, Value)]
    private let sink: @Sendable (String) -> Void

    public init(label: String, level: Level = .info, metadata: [(String, Value)] = [],
                sink: @escaping @Sendable (String) -> Void = Logger.standardError) {
        self.label = label
        self.minimumLevel = level
        self.metadata = metadata
        self.sink = sink
    }

    /// A copy that adds `fields` to every line.
    public func with(_ fields: (String, Value)...) -> Logger {
        var copy = self
        copy.metadata.append(contentsOf: fields)
        return copy
    }

    public func debug(_ message: String, _ fields: (String, Value)...) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: (String, Value)...) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: (String, Value)...) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: (String, Value)...) { log(.error, message, fields) }

    public func log(_ level: Level, _ message: String, _ fields: [(String, Value)]) {
        guard level >= minimumLevel else { return }
        var line = "{\"ts\":\"\(Logger.timestamp())\",\"level\":\"\(level.name)\",\"logger\":"
        Logger.appendQuoted(label, to: &line)
        line += ",\"msg\":"
        Logger.appendQuoted(message, to: &line)
        for (key, value) in metadata + fields {
            line += ","
            Logger.appendQuoted(key, to: &line)
            line += ":"
            switch value {
            case .string(let s): Logger.appendQuoted(s, to: &line)
            case .int(let i): line += String(i)
            case .double(let d): line += d.isFinite ? String(d) : "null"
            case .bool(let b): line += b ? "true" : "false"
            }
        }
        line += "}\n"
        sink(line)
    }

    public static let standardError: @Sendable (String) -> Void = { line in
        var line = line
        // One write(2) per line: lines from concurrent tasks never interleave.
        line.withUTF8 { buffer in _ = write(STDERR_FILENO, buffer.baseAddress, buffer.count) }
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1,
                      parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, Int(now.tv_nsec / 1_000_000))
    }

    static func appendQuoted(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20:
                line += String(format: "\\u%04x", scalar.value)
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }
}
