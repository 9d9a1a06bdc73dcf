import Foundation
import HTTP
import HeraldTestSupport
import Testing

/// The same guarantees with `runHandlersOnEventLoop`: handlers run on the loop thread, and
/// those that suspend (sleep, or wait on another thread) resume there through the inbox.
@Suite("Server over sockets: handlers on the event loop")
struct ServerEventLoopExecutorTests {
    static func onLoop(_ c: inout HTTPServerConfiguration) { c.runHandlersOnEventLoop = true }

    @Test func keepAliveAndBodies() async throws {
        try await withTestServer(Self.onLoop) { server in
            try await TestHTTPClient.offload {
                let client = try TestHTTPClient(port: server.localPort)
                for i in 0..<20 {
                    #expect(try client.request(path: "/seq/\(i)").bodyString == "\(i)")
                }
                let large = [UInt8](repeating: 7, count: 300_000)
                #expect(try client.request(method: "POST", path: "/echo", body: large).body == large)
            }
        }
    }

    @Test func pipelinedRequestsWithSuspendingHandlersStayInOrder() async throws {
        try await withTestServer(Self.onLoop) { server in
            try await TestHTTPClient.offload {
                let client = try TestHTTPClient(port: server.localPort)
                var batch: [UInt8] = []
                for i in 0..<200 {
                    batch += TestHTTPClient.requestBytes(path: "/seq/\(i)?delay=\(i % 3 == 0 ? 2 : 0)")
                }
                try client.send(batch)
                for i in 0..<200 {
                    #expect(try client.readResponse().bodyString == "\(i)")
                }
            }
        }
    }

    @Test func manyConnectionsConcurrently() async throws {
        try await withTestServer(Self.onLoop) { server in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<16 {
                    group.addTask {
                        try await TestHTTPClient.offload {
                            let client = try TestHTTPClient(port: server.localPort)
                            for i in 0..<25 {
                                #expect(try client.request(path: "/seq/\(c * 100 + i)?delay=1").bodyString == "\(c * 100 + i)")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func handlerAwaitingAnotherThreadResumesAndResponds() async throws {
        let responder = ClosureResponder { _ in
            // Resumed from a plain thread, as a database worker would.
            let value = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
                Thread { usleep(10_000); continuation.resume(returning: "from another thread") }.start()
            }
            return .text(value)
        }
        try await withTestServer(Self.onLoop, responder: responder) { server in
            let response = try await TestHTTPClient.request(port: server.localPort, path: "/")
            #expect(response.bodyString == "from another thread")
        }
    }

    @Test func gracefulShutdownLetsTheHandlerFinish() async throws {
        var configuration = TestHTTPServer.configuration()
        configuration.runHandlersOnEventLoop = true
        let server = HTTPServer(configuration: configuration, responder: testRouter())
        try server.start()
        let response = try await TestHTTPClient.offload {
            let client = try TestHTTPClient(port: server.localPort)
            try client.send("GET /sleep/300 HTTP/1.1\r\nHost: x\r\n\r\n")
            usleep(100_000)
            server.shutdown()
            return try client.readResponse()
        }
        #expect(response.status == 200)
        #expect(response.headers["Connection"] == "close")
        try await server.run()
    }

    @Test func tasksOutlivingTheServerStillComplete() async throws {
        let finished = Flag()
        let responder = ClosureResponder { _ in
            try? await Task.sleep(for: .milliseconds(600))
            finished.set()
            return .text("late")
        }
        var configuration = TestHTTPServer.configuration()
        configuration.runHandlersOnEventLoop = true
        configuration.shutdownGracePeriod = .milliseconds(100)
        let server = HTTPServer(configuration: configuration, responder: responder)
        try server.start()
        _ = try await TestHTTPClient.offload {
            let client = try TestHTTPClient(port: server.localPort)
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            usleep(100_000)
            server.shutdown()
            return client.waitForClose(within: .seconds(2))
        }
        try await server.run()
        // The loop is gone; the handler's remaining job must run elsewhere.
        let deadline = ContinuousClock.now + .seconds(3)
        while !finished.isSet && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(finished.isSet)
    }
}
