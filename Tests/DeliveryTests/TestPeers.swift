import Foundation
import Glibc
import JSON
import Crypto
@testable import Delivery

/// Failures of the test harness itself (not of the code under test).
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum TestPaths {
    /// The repository root, found from this file's path (works from the
    /// real package and from scratch packages that symlink the sources).
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("deploy/test-peers/smtp_server.py").path) {
                return url
            }
            url.deleteLastPathComponent()
        }
        fatalError("deploy/test-peers/smtp_server.py not found above \(#filePath)")
    }()

    static var smtpServerScript: String { root.appendingPathComponent("deploy/test-peers/smtp_server.py").path }

    /// A fresh directory under HERALD_TEST_TMPDIR (set by deploy/test.sh) or
    /// the system temp dir.
    static func makeTempDirectory(_ prefix: String) throws -> URL {
        let base = ProcessInfo.processInfo.environment["HERALD_TEST_TMPDIR"] ?? NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent("\(prefix)-\(Hex.encode(SecureRandom.bytes(6)))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Runs a command to completion; throws with its stderr when it fails.
@discardableResult
func runCommand(_ arguments: [String], in directory: URL? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw HarnessError("\(arguments.joined(separator: " ")) failed: \(String(decoding: err, as: UTF8.self))")
    }
    return String(decoding: out, as: UTF8.self)
}

/// A throwaway CA and a server certificate for localhost / 127.0.0.1, made
/// with the openssl CLI once per test run (never committed), plus a second
/// unrelated CA for the "wrong CA" tests.
struct TestCertificates: Sendable {
    let caFile: String
    let serverCertificate: String
    let serverKey: String
    let otherCAFile: String

    private static let made: Result<TestCertificates, HarnessError> = {
        do { return .success(try generate()) } catch { return .failure(HarnessError("\(error)")) }
    }()

    static func shared() throws -> TestCertificates { try made.get() }

    private static func generate() throws -> TestCertificates {
        let dir = try TestPaths.makeTempDirectory("herald-test-ca")
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try runCommand(["openssl", "req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Herald Test CA"], in: dir)
        try runCommand(["openssl", "req", "-x509"] + ec + ["-keyout", "other.key", "-out", "other.pem", "-days", "2", "-subj", "/CN=Some Other CA"], in: dir)
        try runCommand(["openssl", "req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], in: dir)
        try """
            subjectAltName = DNS:localhost, IP:127.0.0.1
            basicConstraints = CA:FALSE
            keyUsage = digitalSignature
            extendedKeyUsage = serverAuth

            """.write(to: dir.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try runCommand(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"], in: dir)
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        return TestCertificates(caFile: path("ca.pem"), serverCertificate: path("server.pem"),
                                serverKey: path("server.key"), otherCAFile: path("other.pem"))
    }
}

/// deploy/test-peers/smtp_server.py (aiosmtpd) running on a free loopback
/// port, with its own directory for received messages.
final class SMTPTestServer: @unchecked Sendable {
    let port: Int
    let directory: URL
    private let process: Process
    private let stdin: Pipe

    private init(port: Int, directory: URL, process: Process, stdin: Pipe) {
        self.port = port
        self.directory = directory
        self.process = process
        self.stdin = stdin
    }

    /// `options` are smtp_server.py's; `--cert/--key` are added for TLS modes.
    static func start(_ options: [String]) async throws -> SMTPTestServer {
        try await BlockingIO.run { try launch(options) }
    }

    private static func launch(_ options: [String]) throws -> SMTPTestServer {
        let directory = try TestPaths.makeTempDirectory("herald-smtp")
        var arguments = ["python3", TestPaths.smtpServerScript, "--dir", directory.path, "--max-seconds", "120"] + options
        if options.contains("--starttls") || options.contains("--tls") {
            let certificates = try TestCertificates.shared()
            arguments += ["--cert", certificates.serverCertificate, "--key", certificates.serverKey]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let logURL = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()

        // Wait (bounded) for "READY <port>".
        let fd = stdout.fileHandleForReading.fileDescriptor
        var output = ""
        let deadline = ContinuousClock.now + .seconds(15)
        while !output.contains("\n") {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard ContinuousClock.now < deadline, poll(&pfd, 1, 200) >= 0 else { break }
            if pfd.revents == 0 { continue }
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            output += String(decoding: buffer[..<n], as: UTF8.self)
        }
        let words = output.split(whereSeparator: \.isWhitespace)
        guard words.count >= 2, words[0] == "READY", let port = Int(words[1]) else {
            process.terminate()
            process.waitUntilExit()
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            throw HarnessError("""
                SMTP test server did not start (needs python3 and aiosmtpd: \
                pip install -r deploy/test-peers/requirements.txt). Output: \(output) Log: \(log)
                """)
        }
        return SMTPTestServer(port: port, directory: directory, process: process, stdin: stdin)
    }

    func stop() {
        try? stdin.fileHandleForWriting.close()  // the server exits at EOF
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Every message the server accepted, in order (one JSON object each).
    func messages() throws -> [JSONValue] {
        let url = directory.appendingPathComponent("messages.jsonl")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
    }

    /// TCP connections the server has seen.
    func connectionCount() -> Int {
        let url = directory.appendingPathComponent("connections.log")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").count
    }

    func configuration(
        _ security: SMTPConfiguration.Security = .none, host: String = "127.0.0.1",
        username: String? = nil, password: String? = nil, mechanism: SMTPConfiguration.AuthMechanism? = nil,
        trust: TLSConfiguration? = nil
    ) throws -> SMTPConfiguration {
        let tls = try trust ?? .trusting(caFile: TestCertificates.shared().caFile)
        return SMTPConfiguration(
            host: host, port: port, security: security, username: username, password: password,
            authMechanism: mechanism, tls: tls, clientName: "client.herald.test",
            connectTimeout: .seconds(5), commandTimeout: .seconds(5), dataTimeout: .seconds(5))
    }
}

/// Starts a server for the duration of `body`, stopping it afterwards.
func withSMTPServer<T>(_ options: [String] = [], _ body: (SMTPTestServer) async throws -> T) async throws -> T {
    let server = try await SMTPTestServer.start(options)
    defer { server.stop() }
    return try await body(server)
}

/// Opens a session, runs `body` on it (blocking, off the cooperative pool), closes it.
func withSession<T: Sendable>(_ configuration: SMTPConfiguration, _ body: @escaping @Sendable (SMTPConnection) throws -> T) async throws -> T {
    try await BlockingIO.run {
        let session = try SMTPConnection.open(configuration)
        defer { session.close() }
        return try body(session)
    }
}

/// The `DeliveryError` that `body` throws, or a recorded failure.
func deliveryError(_ body: () async throws -> Void) async -> DeliveryError? {
    do {
        try await body()
        return nil
    } catch let error as DeliveryError {
        return error
    } catch {
        return DeliveryError(.protocol, "unexpected error type: \(error)")
    }
}

extension JSONValue {
    var strings: [String] { arrayValue?.compactMap(\.stringValue) ?? [] }
}
