import Foundation
import Glibc
import HTTP
import HeraldTestSupport
import Testing

@Suite("Server over sockets: graceful shutdown")
struct ServerShutdownTests {
    @Test func inFlightRequestFinishesAndNewConnectionsAreRefused() async throws {
        var configuration = TestHTTPServer.configuration()
        configuration.idleTimeout = .seconds(30)
        let started = Flag()
        var router = testRouter()
        router.get("/slow") { _, _ in
            started.set()
            try? await Task.sleep(for: .milliseconds(500))
            return .text("finished")
        }
        let server = HTTPServer(configuration: configuration, responder: router)
        try server.start()
        let port = server.localPort

        let outcome = try await TestHTTPClient.offload { () -> (Int, String?, Bool, Bool, Int32?) in
            let idle = try TestHTTPClient(port: port)
            #expect(try idle.request(path: "/hello").status == 200)

            let slow = try TestHTTPClient(port: port)
            try slow.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            // Shut down while the handler is mid-way.
            while !started.isSet { usleep(1000) }
            usleep(100_000)
            server.shutdown()
            server.shutdown()  // idempotent

            let idleClosed = idle.waitForClose(within: .seconds(2))
            let response = try slow.readResponse()
            let slowClosed = slow.waitForClose(within: .seconds(2))
            var refusedErrno: Int32?
            do {
                _ = try TestHTTPClient(port: port)
            } catch TestHTTPClient.ClientError.connect(let e) {
                refusedErrno = e
            }
            return (response.status, response.headers["Connection"], idleClosed, slowClosed, refusedErrno)
        }
        #expect(outcome.0 == 200, "the in-flight request completes")
        #expect(outcome.1 == "close")
        #expect(outcome.2, "idle connections are closed at shutdown")
        #expect(outcome.3)
        #expect(outcome.4 == ECONNREFUSED)

        let finished = ContinuousClock.now
        try await server.run()
        #expect(ContinuousClock.now - finished < .seconds(2))
        #expect(server.connectionCount == 0)
    }

    @Test func runReturnsAfterShutdownWithNoConnections() async throws {
        let server = HTTPServer(configuration: TestHTTPServer.configuration(), responder: testRouter())
        try server.start()
        #expect(server.localPort > 0)
        server.shutdown()
        try await server.run()
        await #expect(throws: TestHTTPClient.ClientError.self) {
            try await TestHTTPClient.request(port: server.localPort, path: "/hello")
        }
    }

    @Test func shutdownBeforeStartMakesRunReturnAtOnce() async throws {
        let server = HTTPServer(configuration: TestHTTPServer.configuration(), responder: testRouter())
        server.shutdown()
        try await server.run()
        server.wait()
    }

    @Test func gracePeriodCutsOffHandlersThatNeverFinish() async throws {
        var configuration = TestHTTPServer.configuration()
        configuration.shutdownGracePeriod = .milliseconds(300)
        let server = HTTPServer(configuration: configuration, responder: testRouter())
        try server.start()
        let closed = try await TestHTTPClient.offload {
            let client = try TestHTTPClient(port: server.localPort)
            try client.send("GET /sleep/5000 HTTP/1.1\r\nHost: x\r\n\r\n")
            usleep(100_000)
            server.shutdown()
            return client.waitForClose(within: .seconds(3))
        }
        #expect(closed)
        try await server.run()
    }

    @Test func bindingATakenPortFails() async throws {
        try await withTestServer { server in
            var configuration = TestHTTPServer.configuration()
            configuration.port = server.localPort
            let second = HTTPServer(configuration: configuration, responder: testRouter())
            #expect(throws: HTTPServerError.self) { try second.start() }
        }
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
