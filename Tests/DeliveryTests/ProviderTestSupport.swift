import Foundation
import Glibc
import Testing
import HTTP
import JSON
import HeraldTestSupport
@testable import Delivery

/// What a loopback receiver saw, in order.
final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [HTTPRequest] = []

    func record(_ request: HTTPRequest) { lock.withLock { stored.append(request) } }
    var requests: [HTTPRequest] { lock.withLock { stored } }

    /// The only request, or a test failure.
    func single(sourceLocation: SourceLocation = #_sourceLocation) throws -> HTTPRequest {
        let all = requests
        try #require(all.count == 1, "expected one request, got \(all.count)", sourceLocation: sourceLocation)
        return all[0]
    }
}

extension HTTPRequest {
    var json: JSONValue? { try? JSONValue(parsing: body) }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Runs a real HTTP server on 127.0.0.1:0 answering with `respond`, and
/// gives `body` its base URL (`http://127.0.0.1:PORT`) and the request log.
func withReceiver<T: Sendable>(
    _ respond: @escaping @Sendable (HTTPRequest) -> HTTPResponse = { _ in .text("ok") },
    _ body: (_ base: String, _ log: RequestLog) async throws -> T
) async throws -> T {
    let log = RequestLog()
    let responder = ClosureResponder { request in
        log.record(request)
        return respond(request)
    }
    return try await TestHTTPServer.with(responder: responder) { server in
        try await body("http://127.0.0.1:\(server.localPort)", log)
    }
}

/// A JSON response with extra headers.
func jsonResponse(_ status: Int, _ body: String, headers: [(String, String)] = []) -> HTTPResponse {
    .json(Array(body.utf8), status: HTTPStatus(code: status), headers: HTTPHeaders(headers))
}

/// One client for the whole test run, as the registry would share it.
let sharedClient = HTTPProviderClient(timeout: .seconds(10), outbound: .loopback)

/// A typical e-mail notification.
func emailMessage(id: String = "ntf_01HXTEST") -> OutgoingMessage {
    OutgoingMessage(
        notificationId: id, tenantId: "ten_1", type: "email",
        to: ["jorg@example.com", "plain@example.com"], cc: ["cc@example.com"], bcc: ["hidden@example.com"],
        subject: "Ihre Bestellung für Jörg 🚚", html: "<p>Hallo J&ouml;rg — 注文</p>", text: "Hallo Jörg — 注文")
}

func smsMessage(id: String = "ntf_01HXSMS", to: [String] = ["+15550001111"]) -> OutgoingMessage {
    OutgoingMessage(notificationId: id, tenantId: "ten_1", type: "sms", to: to, text: "Your code is 123456 & 5 minutes + ümlaut")
}

func channel(_ provider: String, _ settings: JSONObject) -> ChannelConfig {
    ChannelConfig(id: "chn_1", provider: provider, settings: settings)
}

/// A loopback port that accepts connections (the kernel completes the
/// handshake) but never answers: for timeouts.
final class SilentListener: @unchecked Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { close(fd); throw HarnessError("cannot listen on loopback") }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
