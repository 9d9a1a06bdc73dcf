import Basics
import Foundation
import JSON

/// A real SMTP server on loopback for tests: `deploy/test-peers/smtp_server.py`
/// (aiosmtpd) in its own process, writing each accepted message as one JSON
/// line (envelope, raw bytes, and Python's own parse of headers and decoded
/// parts) to `messages.jsonl` in a private directory.
///
///     let smtp = try await TestSMTPServer.start()
///     defer { smtp.stop() }
///     … HERALD_SMTP_URL=smtp://127.0.0.1:\(smtp.port)?security=none …
///     let received = try await smtp.waitForMessages { $0.count >= 1 }
public final class TestSMTPServer: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    private let process: ChildProcess

    private init(port: Int, directory: URL, process: ChildProcess) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// The repository root: three levels up from Sources/HeraldTestSupport/.
    static var scriptPath: String {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/test-peers/smtp_server.py").path
    }

    /// Starts one server on a free port; `options` are smtp_server.py's
    /// (e.g. `["--script", "451"]`). Waits for its READY line on a thread of
    /// its own, never on the cooperative pool.
    public static func start(options: [String] = []) async throws -> TestSMTPServer {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try launch(options) }) }.start()
        }
    }

    private static func launch(_ options: [String]) throws -> TestSMTPServer {
        let base = ProcessInfo.processInfo.environment["HERALD_TEST_TMPDIR"] ?? NSTemporaryDirectory()
        let directory = URL(fileURLWithPath: base)
            .appendingPathComponent("herald-smtp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Standard input is a pipe: the server exits when it closes (when we stop, or die).
        let process = try ChildProcess("/usr/bin/env", ["python3", scriptPath, "--dir", directory.path, "--max-seconds", "300"] + options,
                                       input: .pipe, output: .pipe)
        var line = Data()
        while !line.contains(10) {
            let chunk = process.standardOutput!.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("READY "), let port = Int(text.dropFirst(6).prefix { $0.isNumber }) else {
            stop(process)
            try? FileManager.default.removeItem(at: directory)
            throw TestSMTPServerError(description: "the SMTP test peer did not start (needs python3 and aiosmtpd): \(text)")
        }
        return TestSMTPServer(port: port, directory: directory, process: process)
    }

    /// Every message received so far, oldest first, as smtp_server.py wrote it.
    public func messages() throws -> [ReceivedMessage] {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("messages.jsonl").path)
        else { return [] }
        // A line is complete once its newline is written; a partial last one waits.
        var lines = data.split(separator: 10)
        if data.last != 10, !lines.isEmpty { lines.removeLast() }
        return try lines.map { ReceivedMessage(record: try JSONParser.parse([UInt8]($0))) }
    }

    /// Lines in messages.jsonl, without parsing them: cheap enough to poll.
    public func messageCount() -> Int {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("messages.jsonl").path)
        else { return 0 }
        return data.reduce(0) { $1 == 10 ? $0 + 1 : $0 }
    }

    /// Polls (every 50 ms) until `condition` holds for the messages received,
    /// or throws once `timeout` has passed.
    public func waitForMessages(timeout: Duration = .seconds(10),
                                until condition: ([ReceivedMessage]) -> Bool) async throws -> [ReceivedMessage] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let received = try messages()
            if condition(received) { return received }
            guard ContinuousClock.now < deadline else {
                throw TestSMTPServerError(description: "timed out after \(timeout) waiting for SMTP messages; "
                                          + "received \(received.count): \(received.map(\.recipients))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Stops the process and removes its directory. Safe to call twice.
    public func stop() {
        Self.stop(process)
        try? FileManager.default.removeItem(at: directory)
    }

    private static func stop(_ process: ChildProcess) {
        try? process.standardInput?.close()
        process.signal(SIGTERM)
        process.waitUntilExit()
    }
}

/// One message as the SMTP peer received and parsed it (Python's email package).
public struct ReceivedMessage: Sendable {
    public let record: JSONValue

    public init(record: JSONValue) { self.record = record }

    /// RCPT TO addresses.
    public var recipients: [String] { record["rcpt_tos"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    public var mailFrom: String? { record["mail_from"]?.stringValue }

    /// The exact bytes received after DATA.
    public var raw: String {
        guard let b64 = record["raw_b64"]?.stringValue, let data = Data(base64Encoded: b64) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The first header of that name (case-insensitive), decoded (RFC 2047).
    public func header(_ name: String) -> String? {
        headers(name).first
    }

    public func headers(_ name: String) -> [String] {
        (record["parsed"]?["headers"]?.arrayValue ?? []).compactMap { pair in
            guard let items = pair.arrayValue, items.count == 2,
                  items[0].stringValue?.lowercased() == name.lowercased() else { return nil }
            return items[1].stringValue
        }
    }

    /// Addresses of an address header (`To`, `From`, …), without display names.
    public func addresses(_ name: String) -> [String] {
        (record["parsed"]?["addresses"]?[name]?.arrayValue ?? []).compactMap { $0.arrayValue?.last?.stringValue }
    }

    /// The top-level Content-Type (e.g. `multipart/alternative`).
    public var contentType: String? { record["parsed"]?["content_type"]?.stringValue }

    /// The decoded content of the leaf part of that type (`text/plain`, `text/html`).
    public func part(_ contentType: String) -> String? {
        (record["parsed"]?["parts"]?.arrayValue ?? []).first { $0["content_type"]?.stringValue == contentType }?["content"]?.stringValue
    }

    /// MIME defects Python's parser reported.
    public var defects: [String] { record["parsed"]?["defects"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
}

public struct TestSMTPServerError: Error, Sendable, CustomStringConvertible {
    public let description: String
}
