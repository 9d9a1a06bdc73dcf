import Foundation
import Glibc
import HTTP
import HeraldTestSupport
import Testing

/// Real-socket timeouts with short configured values. The exact deadline logic is covered by
/// the fake-clock state-machine tests; these check that the loop enforces them on the wire.
@Suite("Server over sockets: timeouts")
struct ServerTimeoutTests {
    /// Slowloris: a byte every 100 ms is steady progress, but the head has 300 ms in total.
    /// The server answers 408 (with the error body) and closes.
    @Test func slowHeaderSenderIsCutOffByTheHeadDeadline() async throws {
        try await withTestServer({ $0.headTimeout = .milliseconds(300) }) { server in
            try await TestHTTPClient.offload {
                let client = try TestHTTPClient(port: server.localPort)
                let request = Array("GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n".utf8)
                let start = ContinuousClock.now
                var sent = 0
                for byte in request {
                    do { try client.send([byte]) } catch { break }  // reset once closed
                    sent += 1
                    usleep(100_000)
                    if ContinuousClock.now - start > .seconds(3) { break }
                    // Stop as soon as the server has answered.
                    var pfd = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
                    if poll(&pfd, 1, 0) > 0 { break }
                }
                let elapsed = ContinuousClock.now - start
                #expect(sent < request.count, "the whole head was accepted")
                #expect(elapsed >= .milliseconds(250))
                #expect(elapsed < .seconds(3))
                let response = try client.readResponse()
                #expect(response.status == 408)
                #expect(response.plainErrorMessage == "Request timed out")
                #expect(client.waitForClose(within: .seconds(2)))
            }
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() async throws {
        try await withTestServer({ $0.idleTimeout = .milliseconds(300) }) { server in
            try await TestHTTPClient.offload {
                let client = try TestHTTPClient(port: server.localPort)
                #expect(try client.request(path: "/hello").status == 200)
                let start = ContinuousClock.now
                #expect(client.waitForClose(within: .seconds(3)))
                #expect(ContinuousClock.now - start >= .milliseconds(250))
                #expect(client.buffer.isEmpty, "idle close sends nothing")
            }
        }
    }

    /// A socket that never sends a byte is closed by the first-byte deadline, not the (long)
    /// idle timeout, and gets no answer; a client that does send in time is served.
    @Test func silentConnectionIsClosedByTheFirstByteDeadline() async throws {
        try await withTestServer({
            $0.firstByteTimeout = .milliseconds(500)
            $0.idleTimeout = .seconds(60)
        }) { server in
            try await TestHTTPClient.offload {
                let silent = try TestHTTPClient(port: server.localPort)
                let served = try TestHTTPClient(port: server.localPort)
                #expect(try served.request(path: "/hello").status == 200)
                #expect(silent.waitForClose(within: .seconds(5)))
                #expect(silent.buffer.isEmpty, "a silent connection is closed without an answer")
                // The served connection is keep-alive idle now: the idle timeout (60 s) applies.
                #expect(try served.request(path: "/hello").status == 200)
            }
        }
    }

    @Test func slowBodyIsCutOffByTheBodyDeadline() async throws {
        try await withTestServer({ $0.bodyTimeout = .milliseconds(300) }) { server in
            try await TestHTTPClient.offload {
                let client = try TestHTTPClient(port: server.localPort)
                try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
                let response = try client.readResponse()
                #expect(response.status == 408)
                #expect(client.waitForClose(within: .seconds(2)))
            }
        }
    }

    /// A peer that stops reading: the response cannot be written, so after the write timeout
    /// the connection is dropped.
    @Test func peerThatDoesNotReadIsDroppedAfterTheWriteTimeout() async throws {
        try await withTestServer({ $0.writeTimeout = .milliseconds(300) }) { server in
            try await TestHTTPClient.offload {
                let client = try TestHTTPClient(port: server.localPort)
                var small: Int32 = 4096
                setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
                try client.send("GET /big/16777216 HTTP/1.1\r\nHost: x\r\n\r\n")
                // Generous: on a loaded machine the handler (a 16 MiB body) may start late.
                let deadline = ContinuousClock.now + .seconds(20)
                usleep(200_000)
                #expect(server.connectionCount == 1)
                while server.connectionCount > 0 && ContinuousClock.now < deadline { usleep(20_000) }
                #expect(server.connectionCount == 0)
            }
        }
    }
}
