import Basics
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
    let process = try ChildProcess("/usr/bin/env", arguments, directory: directory?.path, output: .pipe, error: .pipe)
    let out = process.standardOutput!.readDataToEndOfFile()
    let err = process.standardError!.readDataToEndOfFile()
    guard process.waitUntilExit() == 0 else {
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

/// One `smtp_server.py --control` process for the whole test run: Python
/// and aiosmtpd take far longer to start than a listener, so each test asks
/// this process for a fresh server of its own instead of launching one.
final class SMTPPeerProcess: @unchecked Sendable {
    private let process: ChildProcess
    private let input: FileHandle
    private let output: FileHandle
    private let logURL: URL
    private let lock = NSLock()
    private var waiting: [String: CheckedContinuation<Int, any Error>] = [:]
    private var nextID = 0
    private var finished = false

    private static let launched: Result<SMTPPeerProcess, HarnessError> = {
        do { return .success(try SMTPPeerProcess()) } catch { return .failure(HarnessError("\(error)")) }
    }()

    /// Started on first use (blocking: call off the cooperative pool).
    static func shared() throws -> SMTPPeerProcess { try launched.get() }

    private init() throws {
        let directory = try TestPaths.makeTempDirectory("herald-smtp-peer")
        logURL = directory.appendingPathComponent("peer.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process = try ChildProcess("/usr/bin/env", ["python3", TestPaths.smtpServerScript, "--control", "--max-seconds", "600"],
                                   input: .pipe, output: .pipe, error: .file(logURL.path, append: true))
        input = process.standardInput!
        output = process.standardOutput!
        // The process ends when our end of its stdin closes, i.e. with us.
        guard let first = readLine(), first == "READY control" else {
            throw HarnessError("""
                SMTP test peer did not start (it needs python3 and aiosmtpd: \
                pip install -r deploy/test-peers/requirements.txt): \(log())
                """)
        }
        let thread = Thread { [self] in readReplies() }
        thread.start()
    }

    func log() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Starts a server with `options` and returns its id and port.
    func start(_ options: [String]) async throws -> (id: String, port: Int) {
        let id = lock.withLock { nextID += 1; return "s\(nextID)" }
        let port = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
            let alive = lock.withLock { () -> Bool in
                if finished { return false }
                waiting[id] = continuation
                return true
            }
            guard alive else { continuation.resume(throwing: HarnessError("SMTP test peer has exited: \(log())")); return }
            send(["START", id] + options)
            // Never hang a test on a stuck peer.
            DispatchQueue.global().asyncAfter(deadline: .now() + 20) { [self] in
                resolve(id, .failure(HarnessError("SMTP test peer did not start server \(id): \(log())")))
            }
        }
        return (id, port)
    }

    func stop(_ id: String) { send(["STOP", id]) }

    private func send(_ words: [String]) {
        // shlex-style single quoting on the Python side.
        let line = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\"'\"'") + "'" }.joined(separator: " ") + "\n"
        lock.withLock { try? input.write(contentsOf: Data(line.utf8)) }
    }

    private func resolve(_ id: String, _ result: Result<Int, HarnessError>) {
        let continuation = lock.withLock { waiting.removeValue(forKey: id) }
        continuation?.resume(with: result.mapError { $0 as any Error })
    }

    private func readReplies() {
        while let line = readLine() {
            let words = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard words.count >= 3 else { continue }
            if words[0] == "READY", let port = Int(words[2]) {
                resolve(words[1], .success(port))
            } else if words[0] == "ERROR" {
                resolve(words[1], .failure(HarnessError("SMTP test peer: \(words[2])")))
            }
        }
        let pending = lock.withLock { () -> [CheckedContinuation<Int, any Error>] in
            finished = true
            defer { waiting.removeAll() }
            return Array(waiting.values)
        }
        for continuation in pending { continuation.resume(throwing: HarnessError("SMTP test peer exited: \(log())")) }
    }

    private var buffer: [UInt8] = []

    /// One line of the peer's stdout (blocking), nil at end of file.
    private func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeFirst(newline + 1)
                return line
            }
            let chunk = output.availableData
            if chunk.isEmpty { return nil }
            buffer += chunk
        }
    }
}

/// One aiosmtpd server (see deploy/test-peers/smtp_server.py) on a free
/// loopback port, with its own directory for what it received.
final class SMTPTestServer: @unchecked Sendable {
    let port: Int
    let directory: URL
    private let id: String
    private let peer: SMTPPeerProcess

    private init(port: Int, directory: URL, id: String, peer: SMTPPeerProcess) {
        self.port = port
        self.directory = directory
        self.id = id
        self.peer = peer
    }

    /// `options` are smtp_server.py's; `--cert/--key` are added for TLS modes.
    static func start(_ options: [String]) async throws -> SMTPTestServer {
        let (peer, directory, extra) = try await BlockingIO.run { () -> (SMTPPeerProcess, URL, [String]) in
            var extra: [String] = []
            if options.contains("--starttls") || options.contains("--tls") {
                let certificates = try TestCertificates.shared()
                extra = ["--cert", certificates.serverCertificate, "--key", certificates.serverKey]
            }
            return (try SMTPPeerProcess.shared(), try TestPaths.makeTempDirectory("herald-smtp"), extra)
        }
        let (id, port) = try await peer.start(["--dir", directory.path] + options + extra)
        return SMTPTestServer(port: port, directory: directory, id: id, peer: peer)
    }

    func stop() { peer.stop(id) }

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

/// A loopback port nobody listens on: bound once by us, then released.
func unusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard ok else { throw HarnessError("cannot bind a loopback port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
