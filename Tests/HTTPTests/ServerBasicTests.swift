import Foundation
import HTTP
import HeraldTestSupport
import Testing

@Suite("Server over sockets: keep-alive, pipelining, bodies, HEAD, versions")
struct ServerBasicTests {
    @Test func keepAliveServesManyRequestsOnOneConnection() async throws {
        try await withTestServer { server in
            try await TestHTTPClient.offload {
                let client = try TestHTTPClient(port: server.localPort)
                for i in 0..<20 {
                    let response = try client.request(path: "/seq/\(i)")
                    #expect(response.status == 200)
                    #expect(response.bodyString == "\(i)")
                    #expect(response.headers["Connection"] == nil)
                }
                #expect(server.connectionCount == 1)
            }
        }
    }

    @Test func twoHundredPipelinedRequestsAreAnsweredInOrder() async throws {
        try await withTestServer { server in
            try await TestHTTPClient.offload { [port = server.localPort] in
                let client = try TestHTTPClient(port: port)
                var batch: [UInt8] = []
                for i in 0..<200 {
                    // Early requests sleep longest: any concurrency would reorder them.
                    let delay = i < 10 ? (10 - i) * 3 : 0
                    batch += TestHTTPClient.requestBytes(path: "/seq/\(i)?delay=\(delay)")
                }
                try client.send(batch)
                for i in 0..<200 {
                    let response = try client.readResponse()
                    #expect(response.status == 200)
                    #expect(response.bodyString == "\(i)")
                }
            }
        }
    }

    @Test func contentLengthBodies() async throws {
        try await withTestServer { server in
            try await TestHTTPClient.offload { [port = server.localPort] in
                let client = try TestHTTPClient(port: port)
                let small = try client.request(method: "POST", path: "/echo", body: Array("hello".utf8))
                #expect(small.bodyString == "hello")
                let large = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
                let echoed = try client.request(method: "POST", path: "/echo", body: large)
                #expect(echoed.status == 200)
                #expect(echoed.body == large)
                let empty = try client.request(method: "POST", path: "/echo", body: [])
                #expect(empty.headers["X-Body-Length"] == "0")
            }
        }
    }

    @Test func chunkedBodiesSentInPieces() async throws {
        try await withTestServer { server in
            try await TestHTTPClient.offload { [port = server.localPort] in
                let client = try TestHTTPClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                for piece in ["5;ext=1\r\nhel", "lo\r\n", "6\r\n worl", "d\r\n0\r\nTrailer: t\r\n", "\r\n"] {
                    try client.send(piece)
                    usleep(5000)
                }
                let response = try client.readResponse()
                #expect(response.bodyString == "hello world")
                // The connection is still good for the next request.
                #expect(try client.request(path: "/hello").bodyString == "hello")
            }
        }
    }

    @Test func expectContinueGets100BeforeTheBody() async throws {
        try await withTestServer { server in
            try await TestHTTPClient.offload { [port = server.localPort] in
                let client = try TestHTTPClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
                let interim = try client.readResponse(skipInformational: false)
                #expect(interim.status == 100)
                try client.send("body")
                let final = try client.readResponse()
                #expect(final.status == 200)
                #expect(final.bodyString == "body")
            }
        }
    }

    @Test func headHasGetHeadersAndNoBody() async throws {
        try await withTestServer { server in
            try await TestHTTPClient.offload { [port = server.localPort] in
                let client = try TestHTTPClient(port: port)
                let get = try client.request(path: "/big/1234")
                let head = try client.request(method: "HEAD", path: "/big/1234")
                #expect(head.status == 200)
                #expect(head.headers["Content-Length"] == "1234")
                #expect(head.headers["Content-Length"] == get.headers["Content-Length"])
                #expect(head.headers["Content-Type"] == get.headers["Content-Type"])
                #expect(head.body.isEmpty)
                // No stray body bytes: the next response parses cleanly.
                let next = try client.request(path: "/hello")
                #expect(next.bodyString == "hello")
                #expect(client.buffer.isEmpty)
            }
        }
    }

    @Test func http10ClosesUnlessKeepAlive() async throws {
        try await withTestServer { server in
            let (plain, closed) = try await rawExchange(port: server.localPort, "GET /hello HTTP/1.0\r\n\r\n")
            #expect(plain.status == 200)
            #expect(plain.headers["Connection"] == "close")
            #expect(closed)
            try await TestHTTPClient.offload { [port = server.localPort] in
                let client = try TestHTTPClient(port: port)
                for _ in 0..<2 {
                    try client.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                    let response = try client.readResponse()
                    #expect(response.bodyString == "hello")
                    #expect(response.headers["Connection"] == "keep-alive")
                }
            }
        }
    }

    @Test func connectionCloseFromClientOrHandler() async throws {
        try await withTestServer { server in
            let (fromClient, closed) = try await rawExchange(
                port: server.localPort, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(fromClient.bodyString == "hello")
            #expect(fromClient.headers["Connection"] == "close")
            #expect(closed)
            let (fromHandler, closed2) = try await rawExchange(port: server.localPort, "GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(fromHandler.bodyString == "bye")
            #expect(fromHandler.headers["Connection"] == "close")
            #expect(closed2)
        }
    }

    @Test func halfClosedClientStillGetsItsResponse() async throws {
        try await withTestServer { server in
            try await TestHTTPClient.offload { [port = server.localPort] in
                let client = try TestHTTPClient(port: port)
                try client.send("GET /sleep/50 HTTP/1.1\r\nHost: x\r\n\r\n")
                client.shutdownWrite()
                let response = try client.readResponse()
                #expect(response.bodyString == "slept")
                #expect(client.waitForClose(within: .seconds(1)))
            }
        }
    }

    @Test func requestIDIsEchoedOrGenerated() async throws {
        try await withTestServer { server in
            let port = server.localPort
            let given = try await TestHTTPClient.request(port: port, path: "/id", headers: [("X-Request-Id", "req-42")])
            #expect(given.bodyString == "req-42")
            #expect(given.headers["X-Request-Id"] == "req-42")
            let generated = try await TestHTTPClient.request(port: port, path: "/id", headers: [("X-Request-Id", "bad id!")])
            #expect(generated.bodyString != "bad id!")
            #expect(!generated.bodyString.isEmpty)
            #expect(generated.headers["X-Request-Id"] == generated.bodyString)
            let other = try await TestHTTPClient.request(port: port, path: "/id")
            #expect(other.bodyString != generated.bodyString)
        }
    }

    /// Many connections whose handlers finish on pool threads at arbitrary moments: a lost
    /// wake-up of a loop would show up as a client timeout.
    @Test(arguments: [0, 1])
    func manyConcurrentConnections(delay: Int) async throws {
        try await withTestServer { server in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<16 {
                    group.addTask {
                        try await TestHTTPClient.offload {
                            let client = try TestHTTPClient(port: server.localPort, timeout: .seconds(3))
                            for i in 0..<50 {
                                let n = c * 1000 + i
                                #expect(try client.request(path: "/seq/\(n)?delay=\(delay)").bodyString == "\(n)")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func connectionsAreSpreadOverTheLoops() async throws {
        try await withTestServer { server in
            let prefixes = try await TestHTTPClient.offload {
                // Generated ids start with the owning loop's random prefix.
                let clients = try (0..<8).map { _ in try TestHTTPClient(port: server.localPort) }
                return Set(try clients.map { try $0.request(path: "/id").bodyString.split(separator: "-")[0] })
            }
            #expect(prefixes.count == 2)
        }
    }

    @Test func standardHeadersAndRemoteAddress() async throws {
        try await withTestServer { server in
            let response = try await TestHTTPClient.request(port: server.localPort, path: "/remote")
            #expect(response.bodyString.hasPrefix("127.0.0.1:"))
            #expect(response.headers["Server"] == "herald")
            #expect(response.headers["Date"]?.hasSuffix(" GMT") == true)
            #expect(response.headers["Content-Length"] == String(response.body.count))
        }
    }

    @Test func queryParametersOverTheWire() async throws {
        try await withTestServer { server in
            let response = try await TestHTTPClient.request(port: server.localPort, path: "/query?a=x%20y&b=1&a=2")
            #expect(response.bodyString == "x y|1")
        }
    }

    @Test func accessLogSeesEveryResponse() async throws {
        let log = LogBox()
        try await withTestServer({ $0.accessLog = { log.append($0) } }) { server in
            let port = server.localPort
            _ = try await TestHTTPClient.request(port: port, path: "/hello", headers: [("X-Request-Id", "log-1")])
            _ = try await TestHTTPClient.request(port: port, method: "DELETE", path: "/hello")
            _ = try await rawExchange(port: port, "GET /hello HTTP/1.1\r\nBad Header : x\r\n\r\n")
        }
        let entries = log.entries
        #expect(entries.count == 3)
        #expect(entries.contains { $0.method == "GET" && $0.path == "/hello" && $0.status == 200 && $0.requestID == "log-1" })
        #expect(entries.contains { $0.method == "DELETE" && $0.status == 405 })
        #expect(entries.contains { $0.status == 400 && $0.path == "/hello" })
        #expect(entries.allSatisfy { $0.remoteAddress.hasPrefix("127.0.0.1:") && $0.duration >= .zero })
    }

    @Test func routerErrorsOverTheWire() async throws {
        try await withTestServer { server in
            let port = server.localPort
            let missing = try await TestHTTPClient.request(port: port, path: "/missing")
            #expect(missing.status == 404)
            #expect(missing.plainErrorMessage == "Not found")
            let wrongMethod = try await TestHTTPClient.request(port: port, method: "POST", path: "/hello", body: [])
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.plainErrorMessage == "Method not supported")
            #expect(wrongMethod.headers["Allow"] == "GET, HEAD")
        }
    }

    @Test func crlfInResponseHeaderValuesNeverReachesTheWire() async throws {
        try await withTestServer { server in
            let raw = try await TestHTTPClient.offload { [port = server.localPort] in
                let client = try TestHTTPClient(port: port)
                try client.send("GET /inject HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return try client.readToEnd()
            }
            let text = String(decoding: raw, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(!text.lowercased().contains("injected"))
            #expect(!text.contains("X-Split"))
            #expect(!text.contains("X-Lf"))
            #expect(text.contains("X-Ok: kept\r\n"))
            #expect(text.hasSuffix("\r\n\r\nsafe"))
            #expect(text.components(separatedBy: "\r\n\r\n").count == 2)
        }
    }
}

final class LogBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [HTTPAccessLogEntry] = []
    func append(_ entry: HTTPAccessLogEntry) { lock.withLock { stored.append(entry) } }
    var entries: [HTTPAccessLogEntry] { lock.withLock { stored } }
}
