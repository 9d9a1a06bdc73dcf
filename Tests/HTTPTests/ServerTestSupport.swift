import Foundation
import HTTP
import HeraldTestSupport

/// Routes the socket tests use.
func testRouter() -> Router {
    var router = Router()
    router.get("/hello") { _, _ in .text("hello") }
    router.post("/echo") { request, _ in
        var response = HTTPResponse.bytes(request.body, contentType: "application/octet-stream")
        response.headers.add(name: "X-Body-Length", value: String(request.body.count))
        return response
    }
    router.get("/seq/:n") { request, parameters in
        // Later requests finish sooner, so concurrent handling would reorder responses.
        if let delay = request.query["delay"].flatMap(Int.init) {
            try? await Task.sleep(for: .milliseconds(delay))
        }
        return .text(parameters["n"] ?? "?")
    }
    router.get("/sleep/:ms") { _, parameters in
        try? await Task.sleep(for: .milliseconds(Int(parameters["ms"] ?? "0") ?? 0))
        return .text("slept")
    }
    router.get("/id") { request, _ in .text(request.requestID) }
    router.get("/remote") { request, _ in .text(request.remoteAddress) }
    router.get("/query") { request, _ in .text("\(request.query["a"] ?? "-")|\(request.query["b"] ?? "-")") }
    router.get("/close") { _, _ in HTTPResponse(headers: ["Connection": "close"], body: Array("bye".utf8)) }
    router.get("/big/:n") { _, parameters in
        .bytes([UInt8](repeating: 0x62, count: Int(parameters["n"] ?? "0") ?? 0), contentType: "text/plain")
    }
    router.get("/inject") { _, _ in
        var response = HTTPResponse.text("safe")
        response.headers.add(name: "X-Split", value: "a\r\nSet-Cookie: injected=1")
        response.headers.add(name: "X-Lf", value: "b\nInjected-Too: 1")
        response.headers.add(name: "X-Ok", value: "kept")
        return response
    }
    return router
}

/// Starts a server with the test router (or `responder`) and a tweaked configuration.
func withTestServer<T: Sendable>(
    _ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    responder: (any HTTPResponder)? = nil,
    _ body: (HTTPServer) async throws -> T
) async throws -> T {
    var configuration = TestHTTPServer.configuration()
    // Several tests connect first and send later; on a loaded machine that can take longer
    // than the 5 s first-byte default. Tests of the first-byte deadline set it themselves.
    configuration.firstByteTimeout = .seconds(60)
    configure(&configuration)
    return try await TestHTTPServer.with(configuration: configuration, responder: AnyResponder(responder ?? testRouter()), body)
}

struct AnyResponder: HTTPResponder {
    let inner: any HTTPResponder
    init(_ inner: any HTTPResponder) { self.inner = inner }
    func respond(to request: HTTPRequest) async -> HTTPResponse { await inner.respond(to: request) }
}

/// Sends raw bytes on a fresh connection, reads one response, and reports whether the server
/// then closed the connection (within a second).
func rawExchange(port: Int, _ raw: String, method: String = "GET") async throws
    -> (response: TestHTTPClient.Response, closed: Bool)
{
    try await rawExchange(port: port, Array(raw.utf8), method: method)
}

func rawExchange(port: Int, _ raw: [UInt8], method: String = "GET") async throws
    -> (response: TestHTTPClient.Response, closed: Bool)
{
    try await TestHTTPClient.offload {
        let client = try TestHTTPClient(port: port)
        try client.send(raw)
        let response = try client.readResponse(method: method)
        return (response, client.waitForClose(within: .seconds(1)))
    }
}

extension TestHTTPClient.Response {
    /// The message of an error the server rendered with the default (plain-text) renderer.
    var plainErrorMessage: String? {
        guard headers["Content-Type"] == "text/plain; charset=utf-8", bodyString.hasSuffix("\n") else { return nil }
        return String(bodyString.dropLast())
    }
}
