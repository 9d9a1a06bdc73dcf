import Testing
@testable import HTTP

@Suite("Response serialization")
struct HTTPResponseSerializerTests {
    func context(isHead: Bool = false, close: Bool = false, version: HTTPVersion = .http1_1,
                 requestID: String = "rid") -> HTTPResponseContext {
        HTTPResponseContext(method: isHead ? "HEAD" : "GET", path: "/", requestID: requestID, version: version,
                            isHead: isHead, close: close, startedAt: 0)
    }

    func serialize(_ response: HTTPResponse, _ context: HTTPResponseContext) -> String {
        var out: [UInt8] = []
        HTTPResponseSerializer.write(response, context: context, serverName: "herald", date: nil, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func basicResponse() {
        let text = serialize(.json(Array("{}".utf8)), context())
        #expect(text == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nServer: herald\r\n"
            + "X-Request-Id: rid\r\nContent-Length: 2\r\n\r\n{}")
    }

    @Test func headKeepsLengthButSendsNoBody() {
        let text = serialize(.text("hello"), context(isHead: true))
        #expect(text.hasSuffix("Content-Length: 5\r\n\r\n"))
        var explicit = HTTPResponse()
        explicit.headers.add(name: "Content-Length", value: "1234")
        #expect(serialize(explicit, context(isHead: true)).contains("Content-Length: 1234\r\n"))
        // For GET the real body length wins over a handler's header.
        #expect(serialize(explicit, context()).contains("Content-Length: 0\r\n"))
        #expect(!serialize(explicit, context()).contains("1234"))
    }

    @Test func noContentLengthOrBodyFor204And304() {
        let text = serialize(HTTPResponse(status: .noContent, body: Array("x".utf8)), context())
        #expect(!text.contains("Content-Length"))
        #expect(text.hasSuffix("\r\n\r\n"))
        #expect(!serialize(HTTPResponse(status: .notModified), context()).contains("Content-Length"))
    }

    @Test func connectionHeaders() {
        #expect(serialize(HTTPResponse(), context(close: true)).contains("Connection: close\r\n"))
        #expect(serialize(HTTPResponse(), context(version: .http1_0)).contains("Connection: keep-alive\r\n"))
        #expect(!serialize(HTTPResponse(), context()).contains("Connection"))
    }

    @Test func crlfInHeaderValuesNeverReachesTheWire() {
        var response = HTTPResponse(body: Array("ok".utf8))
        response.headers.add(name: "X-Injected", value: "a\r\nSet-Cookie: evil=1")
        response.headers.add(name: "X-Lf", value: "a\nb")
        response.headers.add(name: "X-Cr", value: "a\rb")
        response.headers.add(name: "X-Nul", value: "a\u{0}b")
        response.headers.add(name: "Bad Name", value: "v")
        response.headers.add(name: "Bad\r\nName", value: "v")
        response.headers.add(name: "", value: "v")
        response.headers.add(name: "X-Good", value: "fine value\twith tab")
        let text = serialize(response, context())
        #expect(!text.contains("evil"))
        #expect(!text.contains("X-Injected"))
        #expect(!text.contains("X-Lf"))
        #expect(!text.contains("X-Cr"))
        #expect(!text.contains("X-Nul"))
        #expect(!text.contains("Bad"))
        #expect(text.contains("X-Good: fine value\twith tab\r\n"))
        // Exactly one blank line: the end of the head.
        #expect(text.components(separatedBy: "\r\n\r\n").count == 2)
        let head = text.components(separatedBy: "\r\n\r\n")[0]
        for line in head.components(separatedBy: "\r\n") {
            #expect(!line.contains("\r") && !line.contains("\n"))
        }
    }

    @Test func managedHeadersCannotBeOverridden() {
        var response = HTTPResponse(body: Array("abc".utf8))
        response.headers.add(name: "Transfer-Encoding", value: "chunked")
        response.headers.add(name: "content-length", value: "99")
        response.headers.add(name: "X-Request-Id", value: "spoofed")
        response.headers.add(name: "Connection", value: "upgrade")
        let text = serialize(response, context())
        #expect(!text.contains("Transfer-Encoding"))
        #expect(!text.contains("99"))
        #expect(!text.contains("spoofed"))
        #expect(!text.contains("upgrade"))
        #expect(text.contains("Content-Length: 3\r\n"))
    }

    @Test func badReasonPhraseAndStatusAreReplaced() {
        let text = serialize(HTTPResponse(status: HTTPStatus(code: 200, reasonPhrase: "OK\r\nX-Evil: 1")), context())
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(!text.contains("X-Evil"))
        #expect(serialize(HTTPResponse(status: HTTPStatus(code: 42)), context()).hasPrefix("HTTP/1.1 500 "))
        #expect(serialize(HTTPResponse(status: HTTPStatus(code: 101)), context()).hasPrefix("HTTP/1.1 500 "))
    }

    @Test func handlerServerHeaderWinsAndInvalidRequestIDIsNotEchoed() {
        let text = serialize(HTTPResponse(headers: ["Server": "custom"]), context(requestID: "a\r\nb"))
        #expect(text.contains("Server: custom\r\n"))
        #expect(!text.contains("herald"))
        #expect(!text.contains("X-Request-Id"))
    }

    /// The configured `Server` name and what an application's error renderer returns go
    /// through the same checks as handler headers: CR/LF never reaches the wire.
    @Test func crlfInServerNameOrRenderedErrorHeadersIsDropped() {
        var out: [UInt8] = []
        HTTPResponseSerializer.write(HTTPResponse(), context: context(), serverName: "herald\r\nX-Evil: 1", date: nil,
                                     into: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(!text.contains("X-Evil"))
        #expect(!text.contains("Server:"))

        let rendered = HTTPError.plainText(HTTPError(.badRequest, message: "m", headers: ["X-Bad": "1\r\nX-Evil: 2"]))
        let errorText = serialize(rendered, context())
        #expect(!errorText.contains("X-Evil"))
        #expect(!errorText.contains("X-Bad"))
        #expect(errorText.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
    }

    @Test func decimalFormatting() {
        for value in [0, 7, 10, 99, 100, 12345, 1_048_576, Int.max] {
            var out: [UInt8] = []
            HTTPResponseSerializer.appendDecimal(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
    }

    @Test func dateHeaderFormat() {
        #expect(String(decoding: HTTPDateCache.format(784_111_777), as: UTF8.self) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
