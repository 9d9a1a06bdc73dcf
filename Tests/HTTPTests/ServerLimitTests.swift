import Foundation
import HTTP
import HeraldTestSupport
import Testing

@Suite("Server over sockets: limits")
struct ServerLimitTests {
    static func small(_ c: inout HTTPServerConfiguration) {
        c.maxTargetLength = 1024
        c.maxHeaderBytes = 2048
        c.maxHeaderCount = 10
        c.maxBodySize = 4096
    }

    @Test func longTargetIs414AndCloses() async throws {
        try await withTestServer(Self.small) { server in
            let path = "/" + String(repeating: "a", count: 1100)
            let (response, closed) = try await rawExchange(port: server.localPort, "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.status == 414)
            #expect(response.plainErrorMessage == "Request target too long")
            #expect(closed)
        }
    }

    @Test func headerBytesOverLimitIs431() async throws {
        try await withTestServer(Self.small) { server in
            let big = "X-Big: " + String(repeating: "v", count: 2100)
            let (response, closed) = try await rawExchange(port: server.localPort, "GET /hello HTTP/1.1\r\nHost: x\r\n\(big)\r\n\r\n")
            #expect(response.status == 431)
            #expect(closed)
        }
    }

    @Test func headerCountOverLimitIs431() async throws {
        try await withTestServer(Self.small) { server in
            let fields = (1...10).map { "X-\($0): v\r\n" }.joined()  // plus Host: 11 fields
            let (response, closed) = try await rawExchange(port: server.localPort, "GET /hello HTTP/1.1\r\nHost: x\r\n\(fields)\r\n")
            #expect(response.status == 431)
            #expect(closed)
            let nine = (1...9).map { "X-\($0): v\r\n" }.joined()
            let (fits, _) = try await rawExchange(port: server.localPort, "GET /hello HTTP/1.1\r\nHost: x\r\n\(nine)Connection: close\r\n\r\n")
            #expect(fits.status == 431, "Connection counts too: 11 fields")
            let eight = (1...8).map { "X-\($0): v\r\n" }.joined()
            let (ok, _) = try await rawExchange(port: server.localPort, "GET /hello HTTP/1.1\r\nHost: x\r\n\(eight)Connection: close\r\n\r\n")
            #expect(ok.status == 200)
        }
    }

    @Test func oversizedContentLengthIs413WithoutSendingTheBody() async throws {
        try await withTestServer(Self.small) { server in
            // Only the head is sent; the answer must come anyway, decided from Content-Length.
            let (response, closed) = try await rawExchange(
                port: server.localPort, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
            #expect(response.status == 413)
            #expect(response.plainErrorMessage == "Request body too large")
            #expect(closed)
        }
    }

    @Test func oversizedBodyWithExpectContinueGets413AndNo100() async throws {
        try await withTestServer(Self.small) { server in
            let (response, closed) = try await rawExchange(
                port: server.localPort,
                "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
            #expect(response.status == 413, "the first response must be the 413, not a 100")
            #expect(closed)
        }
    }

    @Test func unsupportedExpectationIs417() async throws {
        try await withTestServer(Self.small) { server in
            let (response, closed) = try await rawExchange(
                port: server.localPort, "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: magic\r\nContent-Length: 5\r\n\r\n")
            #expect(response.status == 417)
            #expect(closed)
        }
    }

    @Test func chunkedBodyOverLimitIs413() async throws {
        try await withTestServer(Self.small) { server in
            let chunk = "800\r\n" + String(repeating: "a", count: 2048) + "\r\n"
            let (response, closed) = try await rawExchange(
                port: server.localPort,
                "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk + chunk)
            #expect(response.status == 413)
            #expect(closed)
        }
    }

    @Test func bodyAtTheLimitIsAccepted() async throws {
        try await withTestServer(Self.small) { server in
            let response = try await TestHTTPClient.request(
                port: server.localPort, method: "POST", path: "/echo", body: [UInt8](repeating: 1, count: 4096))
            #expect(response.status == 200)
            #expect(response.body.count == 4096)
        }
    }
}
