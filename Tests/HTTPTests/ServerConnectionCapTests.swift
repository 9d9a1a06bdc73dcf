import Foundation
import Glibc
import HTTP
import HeraldTestSupport
import Testing

/// The connection cap over real sockets: silent and idle connections make room for new ones
/// (issue 11's lock-out); only when every connection is mid-request is a new one refused.
@Suite("Server over sockets: connection cap")
struct ServerConnectionCapTests {
    /// Silent sockets must stay until eviction removes them, so the first-byte deadline is long.
    static func capped(_ cap: Int, loops: Int = 2) -> (inout HTTPServerConfiguration) -> Void {
        { c in
            c.maxConnections = cap
            c.eventLoopCount = loops
            c.firstByteTimeout = .seconds(60)
        }
    }

    static func waitFor(_ condition: () -> Bool, within: Duration = .seconds(10)) -> Bool {
        let deadline = ContinuousClock.now + within
        while !condition() {
            if ContinuousClock.now >= deadline { return false }
            usleep(5000)
        }
        return true
    }

    @Test func newClientIsServedWhenSilentSocketsFillTheCap() async throws {
        try await withTestServer(Self.capped(64)) { server in
            try await TestHTTPClient.offload {
                let silent = try SilentSockets(port: server.localPort, count: 64)
                #expect(Self.waitFor { server.connectionCount == 64 })
                let start = ContinuousClock.now
                let client = try TestHTTPClient(port: server.localPort)
                let response = try client.request(path: "/hello")
                let elapsed = ContinuousClock.now - start
                #expect(response.status == 200, "not 503: a silent socket makes room")
                // Before the fix the answer was an immediate 503; the bound only catches a hang
                // (a loaded machine's handler pool can take seconds).
                #expect(elapsed < .seconds(20), "answered in \(elapsed)")
                #expect(Self.waitFor { silent.closedByServer.count == 1 }, "exactly one silent socket evicted")
                #expect(server.connectionCount == 64)
            }
        }
    }

    /// With one loop the victim is exactly the longest-idle connection.
    @Test func theLongestIdleConnectionIsEvictedFirst() async throws {
        try await withTestServer(Self.capped(4, loops: 1)) { server in
            try await TestHTTPClient.offload {
                let port = server.localPort
                let keptAlive = try TestHTTPClient(port: port)
                #expect(try keptAlive.request(path: "/hello").status == 200)  // idle since now
                let silent = try SilentSockets(port: port, count: 3)
                #expect(Self.waitFor { server.connectionCount == 4 })

                let second = try TestHTTPClient(port: port)
                #expect(try second.request(path: "/hello").status == 200)
                #expect(keptAlive.waitForClose(within: .seconds(5)), "the oldest idle connection goes first")
                #expect(silent.closedByServer.isEmpty)

                let third = try TestHTTPClient(port: port)
                #expect(try third.request(path: "/hello").status == 200)
                #expect(Self.waitFor { silent.closedByServer == [0] }, "then the oldest silent one")
            }
        }
    }

    /// Connections spread round-robin over two loops: with every connection of one loop busy,
    /// a new connection accepted there must be placed by the other loop, which evicts its own
    /// (and adopts the newcomer, so the busy loop never gets an evictable one). Whichever loop
    /// the kernel wakes, the silent sockets go, oldest first, and the busy ones stay.
    @Test func evictionReachesIdleConnectionsOnAnotherLoop() async throws {
        try await withTestServer(Self.capped(4)) { server in
            try await TestHTTPClient.offload {
                let port = server.localPort
                // Accepted one after another, the four alternate between the two loops, so
                // busy[0] and busy[1] share one loop and the silent ones share the other.
                let busy0 = try TestHTTPClient(port: port)
                let silent0 = try SilentSockets(port: port, count: 1)
                let busy1 = try TestHTTPClient(port: port)
                let silent1 = try SilentSockets(port: port, count: 1)
                #expect(Self.waitFor { server.connectionCount == 4 })
                try busy0.send(TestHTTPClient.requestBytes(path: "/sleep/3000"))
                try busy1.send(TestHTTPClient.requestBytes(path: "/sleep/3000"))
                usleep(200_000)  // both requests are in their handlers

                var newcomers: [TestHTTPClient] = []
                for round in 0..<2 {
                    let client = try TestHTTPClient(port: port)
                    #expect(try client.request(path: "/hello").status == 200, "round \(round)")
                    newcomers.append(client)
                    #expect(Self.waitFor { (round == 0 ? silent0 : silent1).isClosedByServer(0) }, "round \(round)")
                }
                #expect(server.connectionCount == 4)
                #expect(try busy0.readResponse().status == 200, "busy connections are never evicted")
                #expect(try busy1.readResponse().status == 200)
            }
        }
    }

    /// Slowloris: every slot holds a head that is still trickling in. Once they are past the
    /// trickle allowance (1 s), a newcomer takes the place of the one trickling longest instead
    /// of being refused for the whole head deadline.
    @Test func tricklingHeadsMakeRoomForANewClient() async throws {
        try await withTestServer({
            Self.capped(3, loops: 1)(&$0)
            $0.headTimeout = .seconds(60)
        }) { server in
            try await TestHTTPClient.offload {
                let port = server.localPort
                var tricklers: [TestHTTPClient] = []
                for _ in 0..<3 {
                    let trickler = try TestHTTPClient(port: port)
                    try trickler.send(Array("GET /hello HTTP/1.1\r\nHo".utf8))
                    tricklers.append(trickler)
                    usleep(50_000)  // the first one has trickled longest
                }
                #expect(Self.waitFor { server.connectionCount == 3 })
                usleep(1_300_000)
                try tricklers[2].send(Array("st".utf8))  // still trickling: bytes do not renew it

                let client = try TestHTTPClient(port: port)
                #expect(try client.request(path: "/hello").status == 200)
                #expect(tricklers[0].waitForClose(within: .seconds(5)), "the longest trickler goes")
                #expect(!peerHasClosed(tricklers[1].fd) && !peerHasClosed(tricklers[2].fd))
                #expect(server.connectionCount == 3)
            }
        }
    }

    @Test func newConnectionIsRefusedOnlyWhenEveryConnectionIsMidRequest() async throws {
        let render: HTTPErrorRenderer = { error in
            .text("rendered: \(error.message)", status: error.status)
        }
        try await withTestServer({
            Self.capped(2)(&$0)
            $0.errorRenderer = render
        }) { server in
            try await TestHTTPClient.offload {
                let port = server.localPort
                let first = try TestHTTPClient(port: port)
                let second = try TestHTTPClient(port: port)
                #expect(try first.request(path: "/hello").status == 200)
                #expect(try second.request(path: "/hello").status == 200)
                try first.send(TestHTTPClient.requestBytes(path: "/sleep/1500"))
                try second.send(TestHTTPClient.requestBytes(path: "/sleep/1500"))
                usleep(200_000)

                let third = try TestHTTPClient(port: port)
                let refused = try third.readResponse()
                #expect(refused.status == 503)
                #expect(refused.bodyString == "rendered: Too many connections")
                #expect(refused.headers["Connection"] == "close")
                #expect(third.waitForClose(within: .seconds(2)))

                // Answered, both are idle keep-alive connections again: a newcomer takes the place
                // of one of them instead of being refused.
                #expect(try first.readResponse().status == 200)
                #expect(try second.readResponse().status == 200)
                let fourth = try TestHTTPClient(port: port)
                #expect(try fourth.request(path: "/hello").status == 200)
                #expect(Self.waitFor { peerHasClosed(first.fd) || peerHasClosed(second.fd) })
                #expect(!(peerHasClosed(first.fd) && peerHasClosed(second.fd)))
                #expect(server.connectionCount == 2)
            }
        }
    }

    /// Issue 11's figure: 1,500 silent sockets against the default cap (1,024) must not keep a
    /// new client from an answer "within a second or two". The bound asserted is generous (a
    /// loaded CI machine); the measured time is printed.
    @Test(.enabled(if: raiseOpenFileLimit(to: 4096), "needs 4096 open files"))
    func fifteenHundredSilentSocketsDoNotLockOutANewClient() async throws {
        try await withTestServer({ $0.firstByteTimeout = .seconds(60) }) { server in
            #expect(server.configuration.maxConnections == 1024)
            try await TestHTTPClient.offload {
                let silent = try SilentSockets(port: server.localPort, count: 1500)
                #expect(Self.waitFor({ server.connectionCount == 1024 && silent.closedByServer.count == 476 },
                                     within: .seconds(30)))
                let start = ContinuousClock.now
                let client = try TestHTTPClient(port: server.localPort)
                let response = try client.request(path: "/hello")
                let elapsed = ContinuousClock.now - start
                print("new client answered \(response.status) in \(elapsed) with 1500 silent sockets open")
                #expect(response.status == 200)
                #expect(elapsed < .seconds(20), "generous for a loaded machine; alone it is ~20 ms")
                #expect(server.connectionCount <= 1024)
            }
        }
    }
}
