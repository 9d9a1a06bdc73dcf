import Testing
@testable import HTTP

/// The connection logic driven with a fake clock: every timeout is checked without sleeping.
@Suite("Connection state machine")
struct HTTPConnectionStateMachineTests {
    static let second: UInt64 = 1_000_000_000
    let timeouts = HTTPConnectionTimeouts(head: 10 * second, idle: 60 * second, body: 30 * second,
                                          write: 20 * second, linger: 2 * second)
    let limits = HTTPParserLimits(maxTargetLength: 100, maxHeaderBytes: 1000, maxHeaderCount: 10, maxBodySize: 100)

    func machine(now: UInt64 = 0) -> HTTPConnectionStateMachine {
        HTTPConnectionStateMachine(limits: limits, timeouts: timeouts, readAheadLimit: 1000,
                                   remoteAddress: "1.2.3.4:5", requestIDPrefix: "p", now: now)
    }

    @Test func idleConnectionClosesAfterIdleTimeout() {
        var m = machine(now: 0)
        #expect(m.tick(now: 60 * Self.second - 1).isWait)
        #expect(m.tick(now: 60 * Self.second).isClose)
    }

    @Test func slowHeadIsCutOffByTheTotalHeadDeadline() {
        var m = machine(now: 0)
        let head = Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
        // One byte every 2 s: each byte is "progress", but the head deadline is total.
        var now = 5 * Self.second
        for byte in head.prefix(5) {
            m.bytesReceived([byte], now: now)
            #expect(m.nextAction(now: now).isWait)
            #expect(m.tick(now: now).isWait)
            now += 2 * Self.second
        }
        #expect(m.tick(now: 15 * Self.second - 1).isWait)
        guard case .respond(let response, let context) = m.tick(now: 15 * Self.second) else {
            Issue.record("expected 408")
            return
        }
        #expect(response.status == .requestTimeout)
        #expect(context.close)
        #expect(m.state == .closing)
    }

    @Test func slowBodyIsCutOffByTheBodyDeadline() {
        var m = machine(now: 0)
        m.bytesReceived(Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc".utf8), now: Self.second)
        #expect(m.nextAction(now: Self.second).isWait)
        #expect(m.state == .readingBody)
        #expect(m.tick(now: 31 * Self.second - 1).isWait)
        guard case .respond(let response, _) = m.tick(now: 31 * Self.second) else {
            Issue.record("expected 408")
            return
        }
        #expect(response.status == .requestTimeout)
    }

    @Test func stalledWriteClosesAfterWriteTimeoutAndProgressExtendsIt() {
        var m = machine(now: 0)
        m.outputState(pending: true, progressed: false, now: 0)
        m.outputState(pending: true, progressed: true, now: 10 * Self.second)
        #expect(m.tick(now: 29 * Self.second).isWait)
        m.outputState(pending: true, progressed: false, now: 29 * Self.second)  // no progress: no extension
        #expect(m.tick(now: 30 * Self.second).isClose)
    }

    @Test func idleTimeoutDoesNotFireWhileOutputIsPending() {
        var m = machine(now: 0)
        m.outputState(pending: true, progressed: true, now: 50 * Self.second)
        #expect(m.tick(now: 61 * Self.second).isWait)
        m.outputState(pending: false, progressed: true, now: 62 * Self.second)
        #expect(m.tick(now: 121 * Self.second).isWait)
        #expect(m.tick(now: 122 * Self.second).isClose)
    }

    @Test func keepAliveRequestCycle() {
        var m = machine()
        m.bytesReceived(Array("GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n".utf8), now: 1)
        guard case .dispatch(let request) = m.nextAction(now: 1) else {
            Issue.record("expected dispatch")
            return
        }
        #expect(request.path == "/a")
        #expect(request.query["x"] == "1")
        #expect(request.remoteAddress == "1.2.3.4:5")
        #expect(request.requestID == "p-1")
        #expect(m.nextAction(now: 1).isWait)
        guard case .respond(_, let context) = m.responseReady(HTTPResponse(), now: 2) else {
            Issue.record("expected respond")
            return
        }
        #expect(!context.close)
        #expect(m.state == .idle)
        #expect(m.nextAction(now: 2).isWait)
    }

    @Test func pipelinedRequestsAreDispatchedOneAtATime() {
        var m = machine()
        m.bytesReceived(Array("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n".utf8), now: 1)
        guard case .dispatch(let first) = m.nextAction(now: 1) else { Issue.record("no first"); return }
        #expect(first.path == "/1")
        #expect(m.nextAction(now: 1).isWait, "second request must wait for the first response")
        _ = m.responseReady(HTTPResponse(), now: 2)
        guard case .dispatch(let second) = m.nextAction(now: 2) else { Issue.record("no second"); return }
        #expect(second.path == "/2")
        #expect(second.requestID == "p-2")
    }

    @Test func readAheadIsBoundedWhileProcessing() {
        var m = machine()
        m.bytesReceived(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8), now: 1)
        _ = m.nextAction(now: 1)
        #expect(m.wantsInput)
        m.bytesReceived([UInt8](repeating: 0x47, count: 1000), now: 1)
        #expect(!m.wantsInput)
    }

    @Test func noNextRequestWhileTheLastResponseIsStillBeingWritten() {
        var m = machine()
        m.bytesReceived(Array("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n".utf8), now: 1)
        _ = m.nextAction(now: 1)
        _ = m.responseReady(HTTPResponse(), now: 2)
        m.outputState(pending: true, progressed: true, now: 2)
        #expect(m.nextAction(now: 2).isWait)
        m.bytesReceived([UInt8](repeating: 0x47, count: 1000), now: 2)
        #expect(!m.wantsInput, "read-ahead is bounded while output is pending")
        m.outputState(pending: false, progressed: true, now: 3)
        guard case .dispatch(let second) = m.nextAction(now: 3) else { Issue.record("no second"); return }
        #expect(second.path == "/2")
    }

    @Test func clientRequestIDIsKeptWhenValid() {
        var m = machine()
        m.bytesReceived(Array("GET / HTTP/1.1\r\nHost: h\r\nX-Request-Id: abc-123\r\n\r\n".utf8), now: 1)
        guard case .dispatch(let request) = m.nextAction(now: 1) else { Issue.record("no dispatch"); return }
        #expect(request.requestID == "abc-123")
        var m2 = machine()
        let long = String(repeating: "a", count: 129)
        m2.bytesReceived(Array("GET / HTTP/1.1\r\nHost: h\r\nX-Request-Id: \(long)\r\n\r\n".utf8), now: 1)
        guard case .dispatch(let r2) = m2.nextAction(now: 1) else { Issue.record("no dispatch"); return }
        #expect(r2.requestID == "p-1")
        var m3 = machine()
        m3.bytesReceived(Array("GET / HTTP/1.1\r\nHost: h\r\nX-Request-Id: a b\r\n\r\n".utf8), now: 1)
        guard case .dispatch(let r3) = m3.nextAction(now: 1) else { Issue.record("no dispatch"); return }
        #expect(r3.requestID == "p-1")
    }

    @Test func http10ClosesAfterTheResponse() {
        var m = machine()
        m.bytesReceived(Array("GET / HTTP/1.0\r\n\r\n".utf8), now: 1)
        _ = m.nextAction(now: 1)
        guard case .respond(_, let context) = m.responseReady(HTTPResponse(), now: 2) else {
            Issue.record("expected respond")
            return
        }
        #expect(context.close)
        #expect(m.state == .closing)
    }

    @Test func handlerConnectionCloseHeaderClosesTheConnection() {
        var m = machine()
        m.bytesReceived(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8), now: 1)
        _ = m.nextAction(now: 1)
        guard case .respond(_, let context) = m.responseReady(HTTPResponse(headers: ["Connection": "close"]), now: 2)
        else { Issue.record("expected respond"); return }
        #expect(context.close)
    }

    @Test func expectContinueIsSentOnlyWhenTheBodyIsAwaited() {
        var m = machine()
        m.bytesReceived(Array("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8), now: 1)
        #expect(m.nextAction(now: 1).isSendContinue)
        #expect(m.nextAction(now: 1).isWait)
        m.bytesReceived(Array("abc".utf8), now: 2)
        guard case .dispatch(let request) = m.nextAction(now: 2) else { Issue.record("no dispatch"); return }
        #expect(request.body == Array("abc".utf8))

        // The client did not wait: the body is already here, so no 100.
        var eager = machine()
        eager.bytesReceived(Array("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc".utf8), now: 1)
        guard case .dispatch = eager.nextAction(now: 1) else { Issue.record("expected dispatch without 100"); return }
    }

    @Test func oversizedBodyWithExpectContinueGets413AndNo100() {
        var m = machine()
        m.bytesReceived(Array("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n".utf8), now: 1)
        guard case .respond(let response, let context) = m.nextAction(now: 1) else {
            Issue.record("expected an immediate 413")
            return
        }
        #expect(response.status == .payloadTooLarge)
        #expect(context.close)
        #expect(context.path == "/")
        #expect(context.method == "POST")
    }

    @Test func unknownExpectationGets417() {
        var m = machine()
        m.bytesReceived(Array("POST / HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\nContent-Length: 3\r\n\r\n".utf8), now: 1)
        guard case .respond(let response, _) = m.nextAction(now: 1) else { Issue.record("expected 417"); return }
        #expect(response.status == .expectationFailed)
    }

    @Test func errorResponseThenShutdownWriteThenLingerUntilEOF() {
        var m = machine()
        m.bytesReceived(Array("BAD REQUEST LINE\r\n".utf8), now: 1)
        guard case .respond(let response, let context) = m.nextAction(now: 1) else { Issue.record("expected 400"); return }
        #expect(response.status == .badRequest)
        #expect(String(decoding: response.body, as: UTF8.self) == "Bad request\n")
        #expect(context.close)
        m.outputState(pending: false, progressed: true, now: 1)
        #expect(m.nextAction(now: 1).isShutdownWrite)
        #expect(m.state == .lingering)
        m.bytesReceived(Array("more junk".utf8), now: 2)
        #expect(m.nextAction(now: 2).isWait)
        m.inputEnded()
        #expect(m.nextAction(now: 3).isClose)
    }

    @Test func lingeringEndsAtItsDeadline() {
        var m = machine()
        m.bytesReceived(Array("\u{1}\r\n".utf8), now: 0)
        _ = m.nextAction(now: 0)
        m.outputState(pending: false, progressed: true, now: 0)
        #expect(m.nextAction(now: 0).isShutdownWrite)
        #expect(m.tick(now: 2 * Self.second - 1).isWait)
        #expect(m.tick(now: 2 * Self.second).isClose)
    }

    @Test func peerClosingMidRequestClosesWithoutAResponse() {
        var m = machine()
        m.bytesReceived(Array("GET / HTTP/1.1\r\nHo".utf8), now: 1)
        #expect(m.nextAction(now: 1).isWait)
        m.inputEnded()
        #expect(m.nextAction(now: 1).isClose)
    }

    @Test func halfClosedClientStillGetsItsResponse() {
        var m = machine()
        m.bytesReceived(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8), now: 1)
        guard case .dispatch = m.nextAction(now: 1) else { Issue.record("no dispatch"); return }
        m.inputEnded()
        #expect(m.nextAction(now: 1).isWait)
        guard case .respond(_, let context) = m.responseReady(HTTPResponse(), now: 2) else {
            Issue.record("expected respond")
            return
        }
        #expect(context.close)
        m.outputState(pending: false, progressed: true, now: 2)
        #expect(m.nextAction(now: 2).isClose)
    }

    @Test func shutdownClosesIdleAndLetsInFlightFinish() {
        var idle = machine()
        #expect(idle.beginShutdown(now: 1).isClose)

        var busy = machine()
        busy.bytesReceived(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8), now: 1)
        _ = busy.nextAction(now: 1)
        #expect(busy.beginShutdown(now: 2).isWait)
        guard case .respond(_, let context) = busy.responseReady(HTTPResponse(), now: 3) else {
            Issue.record("expected respond")
            return
        }
        #expect(context.close, "responses during shutdown close the connection")
    }

    @Test func shutdownDoesNotStartPipelinedRequests() {
        var m = machine()
        m.bytesReceived(Array("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n".utf8), now: 1)
        _ = m.nextAction(now: 1)
        _ = m.beginShutdown(now: 2)
        _ = m.responseReady(HTTPResponse(), now: 3)
        m.outputState(pending: false, progressed: true, now: 3)
        #expect(m.nextAction(now: 3).isShutdownWrite)
    }
}

extension HTTPConnectionStateMachine.Action {
    var isWait: Bool { if case .wait = self { true } else { false } }
    var isClose: Bool { if case .close = self { true } else { false } }
    var isSendContinue: Bool { if case .sendContinue = self { true } else { false } }
    var isShutdownWrite: Bool { if case .shutdownWrite = self { true } else { false } }
}
