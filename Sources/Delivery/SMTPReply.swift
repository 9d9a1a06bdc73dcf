/// One SMTP reply (RFC 5321 §4.2): a three-digit code and one or more text
/// lines, multi-line replies joined from their `ddd-text` continuation lines.
public struct SMTPReply: Sendable, Equatable {
    public let code: Int
    public let lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// 2xx (done) or 3xx (go on, e.g. 354 after DATA, 334 during AUTH).
    public var isPositive: Bool { (200..<400).contains(code) }
    public var isTransientFailure: Bool { (400..<500).contains(code) }
    public var isPermanentFailure: Bool { (500..<600).contains(code) }

    /// Code and text on one line, cut short and stripped of control
    /// characters, for error messages and logs.
    public var summary: String {
        let text = lines.joined(separator: " ")
        let clean = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : Character($0) })
        let short = clean.count > 200 ? String(clean.prefix(200)) + "…" : clean
        return short.isEmpty ? String(code) : "\(code) \(short)"
    }
}

/// Buffers bytes from a connection and cuts them into replies, with hard
/// limits so a hostile or broken server cannot make us buffer without end.
struct SMTPReplyReader {
    /// RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; real servers
    /// stay far below. Anything longer is garbage, not a reply.
    static let maxLineLength = 2048
    /// EHLO replies are the longest legitimate ones, a few dozen lines.
    static let maxLines = 100

    private var buffer: [UInt8] = []
    private var start = 0

    /// Whether bytes beyond the last reply have arrived. Must be false right
    /// after the 220 to STARTTLS: anything else was sent in clear before the
    /// handshake and could be injected (CVE-2011-0411 style).
    var hasBufferedData: Bool { start < buffer.count }

    mutating func read(from connection: TLSConnection, deadline: Deadline) throws -> SMTPReply {
        var code: Int?
        var lines: [String] = []
        while true {
            let line = try readLine(from: connection, deadline: deadline)
            let (lineCode, isLast, text) = try Self.parse(line)
            if let code, code != lineCode {
                throw DeliveryError(.protocol, "reply line code \(lineCode) inside a \(code) reply")
            }
            code = lineCode
            lines.append(text)
            if isLast { return SMTPReply(code: lineCode, lines: lines) }
            guard lines.count < Self.maxLines else {
                throw DeliveryError(.protocol, "reply has more than \(Self.maxLines) lines")
            }
        }
    }

    /// `ddd`, `ddd text` (last line) or `ddd-text` (more follow).
    static func parse(_ line: ArraySlice<UInt8>) throws -> (code: Int, isLast: Bool, text: String) {
        let bytes = Array(line)
        guard bytes.count >= 3,
              (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(bytes[0]),
              bytes[1...2].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw DeliveryError(.protocol, "malformed reply line \(preview(bytes))")
        }
        let code = bytes[0..<3].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        if bytes.count == 3 { return (code, true, "") }
        let separator = bytes[3]
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
            throw DeliveryError(.protocol, "malformed reply line \(preview(bytes))")
        }
        let text = String(decoding: bytes[4...], as: UTF8.self)
        return (code, separator == UInt8(ascii: " "), text)
    }

    /// The next line without its CRLF (a bare LF is accepted too).
    private mutating func readLine(from connection: TLSConnection, deadline: Deadline) throws -> ArraySlice<UInt8> {
        var scanned = start
        while true {
            if let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                guard end - start <= Self.maxLineLength else { throw Self.tooLong }
                let line = buffer[start..<end]
                start = newline + 1
                return line
            }
            guard buffer.count - start <= Self.maxLineLength else { throw Self.tooLong }
            compact()
            scanned = buffer.count
            let chunk = try connection.read(maxCount: 4096, deadline: deadline)
            guard !chunk.isEmpty else {
                throw DeliveryError(.transient, "connection closed by \(connection.host):\(connection.port) while waiting for a reply")
            }
            buffer.append(contentsOf: chunk)
        }
    }

    private mutating func compact() {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
    }

    private static var tooLong: DeliveryError {
        DeliveryError(.protocol, "reply line longer than \(maxLineLength) bytes")
    }

    private static func preview(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(40), as: UTF8.self)
        return "\"" + String(text.unicodeScalars.map { $0.value < 0x20 ? "?" : Character($0) }) + "\""
    }
}
