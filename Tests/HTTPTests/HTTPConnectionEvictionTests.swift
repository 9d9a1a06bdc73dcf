import Testing
@testable import HTTP

/// The first-byte deadline and which connections may be closed to make room at the cap,
/// driven with a fake clock.
@Suite("Connection state machine: first byte and eviction")
struct HTTPConnectionEvictionTests {
    static let second: UInt64 = 1_000_000_000
    let timeouts = HTTPConnectionTimeouts(firstByte: 5 * second, head: 10 * second, idle: 60 * second,
                                          body: 30 * second, write: 20 * second, linger: 2 * second)
    let limits = HTTPParserLimits(maxTargetLength: 100, maxHeaderBytes: 1000, maxHeaderCount: 10, maxBodySize: 100)
    let request = Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8)

    func machine(now: UInt64 = 0, renderError: @escaping HTTPErrorRenderer = HTTPError.plainText)
        -> HTTPConnectionStateMachine
    {
        HTTPConnectionStateMachine(limits: limits, timeouts: timeouts, readAheadLimit: 1000,
                                   remoteAddress: "1.2.3.4:5", requestIDPrefix: "p", renderError: renderError, now: now)
    }

    /// A connection that answers one request and is idle again at `now`.
    func keptAlive(at now: UInt64) -> HTTPConnectionStateMachine {
        var m = machine(now: 0)
        m.bytesReceived(request, now: 1)
        _ = m.nextAction(now: 1)
        _ = m.responseReady(HTTPResponse(), now: now)
        m.outputState(pending: false, progressed: true, now: now)
        return m
    }

    @Test func silentConnectionClosesAtTheFirstByteDeadlineNotTheIdleTimeout() {
        var m = machine(now: 7)
        #expect(m.tick(now: 7 + 5 * Self.second - 1).isWait)
        #expect(m.tick(now: 7 + 5 * Self.second).isClose, "silence is closed without an answer")
        #expect(m.state == .closed)
    }

    @Test func aFirstByteInTimeStartsTheHeadDeadline() {
        var m = machine(now: 0)
        m.bytesReceived(Array("GE".utf8), now: 4 * Self.second)
        #expect(m.nextAction(now: 4 * Self.second).isWait)
        #expect(m.tick(now: 6 * Self.second).isWait, "the first-byte deadline no longer applies")
        guard case .respond(let response, _) = m.tick(now: 14 * Self.second) else {
            Issue.record("expected 408 at the head deadline")
            return
        }
        #expect(response.status == .requestTimeout)
    }

    @Test func keepAliveConnectionGetsTheIdleTimeoutNotTheFirstByteDeadline() {
        var m = keptAlive(at: 2 * Self.second)
        #expect(m.state == .idle)
        #expect(m.tick(now: 10 * Self.second).isWait)
        #expect(m.tick(now: 62 * Self.second - 1).isWait)
        #expect(m.tick(now: 62 * Self.second).isClose)
    }

    @Test func defaultFirstByteDeadlineIsTheIdleTimeout() {
        let old = HTTPConnectionTimeouts(head: 1, idle: 9, body: 1, write: 1, linger: 1)
        #expect(old.firstByte == 9)
        #expect(HTTPServerConfiguration().firstByteTimeout == .seconds(5))
        #expect(HTTPServerConfiguration().timeouts.firstByte == 5 * Self.second)
    }

    @Test func silentAndIdleKeepAliveConnectionsAreEvictable() {
        var fresh = machine(now: 3)
        #expect(fresh.isEvictable)
        #expect(fresh.idleSince == 3)
        #expect(fresh.evict(now: 20).isClose)
        #expect(fresh.state == .closed)

        var idle = keptAlive(at: 9)
        #expect(idle.isEvictable)
        #expect(idle.idleSince == 9)
        #expect(idle.evict(now: 20).isClose)
    }

    /// A head still arriving after the trickle allowance (1 s here) may be closed for a
    /// newcomer; one that started a moment ago may not, and neither may a body or a handler.
    @Test func aHeadTricklingPastItsAllowanceIsEvictable() {
        #expect(timeouts.trickle == Self.second)
        var head = machine()
        head.bytesReceived(Array("GET / HT".utf8), now: 2 * Self.second)
        _ = head.nextAction(now: 2 * Self.second)
        #expect(head.headStartedAt == 2 * Self.second)
        #expect(!head.isTricklingHead(now: 2 * Self.second + Self.second / 2))
        #expect(head.evict(now: 2 * Self.second + Self.second / 2).isWait)
        // More bytes do not restart the allowance: it counts from the head's first byte.
        head.bytesReceived(Array("TP/1.1\r\n".utf8), now: 3 * Self.second - 1)
        _ = head.nextAction(now: 3 * Self.second - 1)
        #expect(head.isTricklingHead(now: 3 * Self.second))
        #expect(!head.isEvictable, "not at the cap's first choice: idle connections go first")
        #expect(head.evict(now: 3 * Self.second).isClose)
        #expect(head.state == .closed)

        var body = machine()
        body.bytesReceived(Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab".utf8), now: 1)
        _ = body.nextAction(now: 1)
        #expect(!body.isTricklingHead(now: 60 * Self.second))
        #expect(body.evict(now: 60 * Self.second).isWait)
        #expect(HTTPConnectionTimeouts(head: Self.second / 2, idle: 1, body: 1, write: 1, linger: 1).trickle == Self.second / 2)
    }

    @Test func connectionsMidRequestAreNotEvictable() {
        var head = machine()
        head.bytesReceived(Array("GET / HT".utf8), now: 1)
        _ = head.nextAction(now: 1)
        #expect(head.state == .readingHead)
        #expect(!head.isEvictable)
        #expect(head.evict(now: 20).isWait)
        #expect(head.state == .readingHead, "a refused eviction changes nothing")

        var body = machine()
        body.bytesReceived(Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab".utf8), now: 1)
        _ = body.nextAction(now: 1)
        #expect(body.state == .readingBody)
        #expect(!body.isEvictable)

        var processing = machine()
        processing.bytesReceived(request, now: 1)
        _ = processing.nextAction(now: 1)
        #expect(processing.state == .processing)
        #expect(!processing.isEvictable)
        #expect(processing.evict(now: 20).isWait)

        // Idle, but its response is still being written: evicting it would lose the response.
        var writing = machine()
        writing.bytesReceived(request, now: 1)
        _ = writing.nextAction(now: 1)
        _ = writing.responseReady(HTTPResponse(), now: 2)
        writing.outputState(pending: true, progressed: true, now: 2)
        #expect(writing.state == .idle)
        #expect(!writing.isEvictable)
        writing.outputState(pending: false, progressed: true, now: 3)
        #expect(writing.isEvictable)

        // A closing connection still owes its final response.
        var closing = machine()
        closing.bytesReceived(Array("BAD\r\n\r\n".utf8), now: 1)
        guard case .respond = closing.nextAction(now: 1) else {
            Issue.record("expected a 400")
            return
        }
        #expect(closing.state == .closing)
        closing.outputState(pending: true, progressed: true, now: 1)
        #expect(!closing.isEvictable)
    }

    @Test func lingeringConnectionIsEvictableFromWhenItStartedLingering() {
        var m = machine()
        m.bytesReceived(Array("BAD\r\n\r\n".utf8), now: 1)
        _ = m.nextAction(now: 1)
        m.outputState(pending: false, progressed: true, now: 4)
        #expect(m.nextAction(now: 4).isShutdownWrite)
        #expect(m.state == .lingering)
        #expect(m.isEvictable)
        #expect(m.idleSince == 4)
    }

    @Test func errorsTheConnectionAnswersItselfGoThroughTheInjectedRenderer() {
        let render: HTTPErrorRenderer = { error in
            HTTPResponse(status: error.status, headers: ["X-Rendered": "yes"], body: Array("custom:\(error.message)".utf8))
        }
        var bad = machine(renderError: render)
        bad.bytesReceived(Array("BAD\r\n\r\n".utf8), now: 1)
        guard case .respond(let badResponse, _) = bad.nextAction(now: 1) else {
            Issue.record("expected a 400")
            return
        }
        #expect(badResponse.status == .badRequest)
        #expect(badResponse.headers["X-Rendered"] == "yes")
        #expect(badResponse.body == Array("custom:Bad request".utf8))

        var slow = machine(renderError: render)
        slow.bytesReceived(Array("GET".utf8), now: 1)
        _ = slow.nextAction(now: 1)
        guard case .respond(let timeout, _) = slow.tick(now: 1 + 10 * Self.second) else {
            Issue.record("expected a 408")
            return
        }
        #expect(timeout.status == .requestTimeout)
        #expect(timeout.body == Array("custom:Request timed out".utf8))
    }

    @Test func defaultRendererIsPlainTextWithTheErrorsHeaders() {
        let response = HTTPError.plainText(HTTPError.methodNotAllowed(allowed: ["GET", "HEAD"]))
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Allow"] == "GET, HEAD")
        #expect(response.headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(response.body == Array("Method not supported\n".utf8))
    }
}
