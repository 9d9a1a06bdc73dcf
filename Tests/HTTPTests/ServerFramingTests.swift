import HTTP
import HeraldTestSupport
import Testing

/// Each ambiguous or invalid request gets 400 with the contract's error body, and the server
/// closes the connection (the bytes after a framing error cannot be trusted).
@Suite("Server over sockets: invalid framing is 400 and close")
struct ServerFramingTests {
    static let cases: [(String, String)] = [
        ("Content-Length with Transfer-Encoding",
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("two different Content-Length",
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 3\r\n\r\nhello"),
        ("identical Content-Length twice",
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
        ("non-digit Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5a\r\n\r\nhello"),
        ("negative Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nhello"),
        ("unknown transfer coding", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
        ("chunked not final", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
        ("bare LF in head", "GET /hello HTTP/1.1\nHost: x\n\n"),
        ("bare CR in head", "GET /hello HTTP/1.1\r\nHost: x\rY: z\r\n\r\n"),
        ("whitespace before colon", "GET /hello HTTP/1.1\r\nHost : x\r\n\r\n"),
        ("obsolete line folding", "GET /hello HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\n\r\n"),
        ("invalid method token", "GE[T /hello HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("invalid header name", "GET /hello HTTP/1.1\r\nHost: x\r\nBad\"Name: v\r\n\r\n"),
        ("invalid header value", "GET /hello HTTP/1.1\r\nHost: x\r\nX: a\u{0}b\r\n\r\n"),
        ("bad HTTP version", "GET /hello HTTP/1.x\r\nHost: x\r\n\r\n"),
        ("lower-case protocol", "GET /hello http/1.1\r\nHost: x\r\n\r\n"),
        ("missing Host", "GET /hello HTTP/1.1\r\n\r\n"),
        ("bad chunk size", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n"),
        ("chunk size overflow",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n"),
        ("chunk without CRLF", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n"),
    ]

    @Test(arguments: cases)
    func answered400AndClosed(name: String, raw: String) async throws {
        try await withTestServer { server in
            let (response, closed) = try await rawExchange(port: server.localPort, raw)
            #expect(response.status == 400, "\(name)")
            #expect(response.plainErrorMessage == "Bad request", "\(name)")
            #expect(response.headers["Connection"] == "close", "\(name)")
            #expect(closed, "\(name): connection left open")
        }
    }

    @Test func errorAfterAGoodPipelinedRequestKeepsTheGoodResponse() async throws {
        try await withTestServer { server in
            try await TestHTTPClient.offload {
                let client = try TestHTTPClient(port: server.localPort)
                try client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost : x\r\n\r\n")
                #expect(try client.readResponse().status == 200)
                #expect(try client.readResponse().status == 400)
                #expect(client.waitForClose(within: .seconds(1)))
            }
        }
    }

    @Test func versionTwoIs505() async throws {
        try await withTestServer { server in
            let (response, closed) = try await rawExchange(port: server.localPort, "GET /hello HTTP/2.0\r\nHost: x\r\n\r\n")
            #expect(response.status == 505)
            #expect(closed)
        }
    }
}
