/// Timeouts in nanoseconds, as the state machine uses them.
struct HTTPConnectionTimeouts: Sendable, Equatable {
    /// From accept to the first byte of the first request.
    var firstByte: UInt64
    var head: UInt64
    var idle: UInt64
    var body: UInt64
    var write: UInt64
    var linger: UInt64
    /// How long a head may take to arrive before, at the connection cap, the connection counts
    /// as trickling and may be closed for a newcomer. A real client sends its head in a packet or
    /// two; a slowloris client takes the whole head deadline, and without this would keep its
    /// slots that long.
    var trickle: UInt64

    /// `firstByte` nil: a fresh connection gets the idle timeout. `trickle` nil: one second, or
    /// the head deadline when that is shorter.
    init(firstByte: UInt64? = nil, head: UInt64, idle: UInt64, body: UInt64, write: UInt64, linger: UInt64,
         trickle: UInt64? = nil) {
        self.firstByte = firstByte ?? idle
        self.trickle = trickle ?? min(head, 1_000_000_000)
        self.head = head
        self.idle = idle
        self.body = body
        self.write = write
        self.linger = linger
    }
}

/// One connection's protocol logic as a pure value: it is told what happened (bytes arrived,
/// a handler finished, output drained, time passed) and answers with an action for the event
/// loop to carry out. It does no I/O and reads no clock — every call takes `now` — so every
/// timeout is unit-testable without sleeping.
///
/// Requests are handled one at a time: bytes of pipelined requests wait in the parser's
/// buffer until the current response is queued, which keeps responses in request order.
struct HTTPConnectionStateMachine {
    enum State: Equatable {
        /// No request in progress: fresh (the first-byte deadline applies) or keep-alive (the
        /// idle timeout applies).
        case idle
        /// Part of a head received; the head deadline applies.
        case readingHead
        /// Head done, body incomplete; the body deadline applies.
        case readingBody
        /// A handler is running.
        case processing
        /// The final response is queued; waiting for it to be written.
        case closing
        /// Final response written and our side shut down; discarding input until EOF or deadline.
        case lingering
        case closed
    }

    enum Action {
        /// Nothing to do until more input, a response, drained output, or a tick.
        case wait
        /// Write `100 Continue`: the body is about to be read.
        case sendContinue
        /// Run the handler for this request.
        case dispatch(HTTPRequest)
        /// Write this response; `context.close` says whether it is the last.
        case respond(HTTPResponse, HTTPResponseContext)
        /// All output is written on a closing connection: shut down our sending side.
        case shutdownWrite
        /// Close the socket now.
        case close
    }

    private(set) var state: State = .idle
    private(set) var parser: HTTPRequestParser
    let timeouts: HTTPConnectionTimeouts
    let readAheadLimit: Int
    let remoteAddress: String
    /// Prefix for generated request ids, unique to this connection.
    let requestIDPrefix: String

    /// Deadline of the current state's timer (first byte, idle, head, body, or linger).
    private(set) var deadline: UInt64
    /// When the connection last became idle or started lingering: eviction takes the oldest.
    private(set) var idleSince: UInt64
    /// When the head being read started to arrive.
    private(set) var headStartedAt: UInt64 = 0
    /// Set while output is queued and the socket would not take it.
    private(set) var writeDeadline: UInt64?
    private(set) var inputClosed = false
    private(set) var shuttingDown = false
    private var requestCount: UInt64 = 0
    private var currentHead: HTTPRequestHead?
    private var current: HTTPResponseContext?
    /// Renders the errors the connection answers by itself (parse errors, limits, 408).
    private let renderError: HTTPErrorRenderer

    init(limits: HTTPParserLimits, timeouts: HTTPConnectionTimeouts, readAheadLimit: Int = 65536,
         remoteAddress: String = "", requestIDPrefix: String = "r",
         renderError: @escaping HTTPErrorRenderer = HTTPError.plainText, now: UInt64) {
        parser = HTTPRequestParser(limits: limits)
        self.timeouts = timeouts
        self.readAheadLimit = readAheadLimit
        self.remoteAddress = remoteAddress
        self.requestIDPrefix = requestIDPrefix
        self.renderError = renderError
        // A fresh connection must start its request soon: one that never sends a byte would
        // otherwise hold a slot of the connection cap for a whole idle timeout.
        deadline = now &+ timeouts.firstByte
        idleSince = now
    }

    var outputPending: Bool { writeDeadline != nil }

    /// Whether the server may close this connection to make room for a new one when the
    /// connection cap is reached: nothing is in progress or owed to the peer. That is a fresh
    /// connection that has sent nothing, an idle keep-alive one, or one lingering after its
    /// final response.
    var isEvictable: Bool {
        switch state {
        case .idle: return !outputPending && parser.bufferedByteCount == 0
        case .lingering: return true
        case .readingHead, .readingBody, .processing, .closing, .closed: return false
        }
    }

    /// Whether a head has been arriving for longer than the trickle allowance: when no
    /// evictable connection is left at the cap, the one trickling longest is closed instead.
    func isTricklingHead(now: UInt64) -> Bool {
        state == .readingHead && now &- headStartedAt >= timeouts.trickle
    }

    /// Closes the connection for a newer one if it is evictable (see `isEvictable`) or
    /// trickling its head (see `isTricklingHead`).
    mutating func evict(now: UInt64) -> Action {
        guard isEvictable || isTricklingHead(now: now) else { return .wait }
        state = .closed
        return .close
    }

    /// Whether the loop should read from the socket now.
    var wantsInput: Bool {
        guard !inputClosed else { return false }
        switch state {
        // While a response is still being written the next request is not started, so input
        // then only fills the read-ahead allowance.
        case .idle: return !outputPending || parser.bufferedByteCount < readAheadLimit
        case .readingHead, .readingBody, .lingering: return true
        case .processing: return parser.bufferedByteCount < readAheadLimit
        case .closing, .closed: return false
        }
    }

    // MARK: events

    mutating func bytesReceived(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
        guard state != .lingering, state != .closed else { return }
        parser.append(bytes)
        if state == .idle && !outputPending { startHead(now: now) }
    }

    /// For tests: feed bytes from an array.
    mutating func bytesReceived(_ bytes: [UInt8], now: UInt64) {
        bytes.withUnsafeBytes { bytesReceived($0, now: now) }
    }

    /// The peer finished sending (read returned 0).
    mutating func inputEnded() {
        inputClosed = true
    }

    /// The socket accepted some output (`progressed`) and/or output is still queued (`pending`).
    mutating func outputState(pending: Bool, progressed: Bool, now: UInt64) {
        if pending {
            if writeDeadline == nil || progressed { writeDeadline = now &+ timeouts.write }
        } else {
            writeDeadline = nil
            if state == .idle && parser.bufferedByteCount == 0 { becomeIdle(now: now) }
        }
    }

    /// The handler for the current request returned.
    mutating func responseReady(_ response: HTTPResponse, now: UInt64) -> Action {
        guard state == .processing, var context = current else { return .wait }
        current = nil
        currentHead = nil
        let handlerWantsClose = response.headers.containsToken("close", in: "Connection")
        context.close = context.close || shuttingDown || inputClosed || handlerWantsClose
        if context.close {
            state = .closing
        } else {
            state = .idle
            becomeIdle(now: now)
        }
        return .respond(response, context)
    }

    /// Graceful shutdown: idle connections close now; a request in progress finishes and its
    /// response closes the connection.
    mutating func beginShutdown(now: UInt64) -> Action {
        shuttingDown = true
        if state == .idle && !outputPending {
            state = .closed
            return .close
        }
        return .wait
    }

    /// The next thing to do after any event. The loop calls this until it answers `.wait`.
    mutating func nextAction(now: UInt64) -> Action {
        switch state {
        case .idle:
            if parser.bufferedByteCount > 0 && !shuttingDown {
                // Backpressure: a pipelining client that does not read its responses gets no
                // further ones queued (memory stays at one response plus the read-ahead).
                if outputPending { return .wait }
                startHead(now: now)
                return parse(now: now)
            }
            if (inputClosed || shuttingDown) && !outputPending {
                state = .closed
                return .close
            }
            return .wait
        case .readingHead, .readingBody:
            return parse(now: now)
        case .processing:
            return .wait
        case .closing:
            if outputPending { return .wait }
            if inputClosed {
                state = .closed
                return .close
            }
            state = .lingering
            deadline = now &+ timeouts.linger
            idleSince = now
            parser.discardBuffered()
            return .shutdownWrite
        case .lingering:
            parser.discardBuffered()
            if inputClosed {
                state = .closed
                return .close
            }
            return .wait
        case .closed:
            return .wait
        }
    }

    /// Checks deadlines. A head or body that is too slow gets `408` and the connection closes;
    /// a silent fresh connection, an idle one, a stalled write, or a lingering close just closes.
    mutating func tick(now: UInt64) -> Action {
        if let writeDeadline, now >= writeDeadline {
            state = .closed
            return .close
        }
        guard now >= deadline else { return .wait }
        switch state {
        case .idle:
            if outputPending { return .wait }
            state = .closed
            return .close
        case .readingHead, .readingBody:
            return fail(with: .requestTimeout, now: now)
        case .lingering:
            state = .closed
            return .close
        case .processing, .closing, .closed:
            return .wait
        }
    }

    // MARK: internals

    private mutating func becomeIdle(now: UInt64) {
        deadline = now &+ timeouts.idle
        idleSince = now
    }

    private mutating func startHead(now: UInt64) {
        state = .readingHead
        headStartedAt = now
        deadline = now &+ timeouts.head
    }

    private mutating func parse(now: UInt64) -> Action {
        while true {
            switch parser.next() {
            case .needMoreData:
                if inputClosed {
                    // The peer stopped mid-request: there is no one to answer.
                    state = .closed
                    return .close
                }
                return .wait
            case .head(let head):
                requestCount += 1
                let id = head.headers.first("X-Request-Id").flatMap { RequestID.isValid($0) ? $0 : nil }
                    ?? requestIDPrefix + "-" + RequestID.hex(requestCount)
                current = HTTPResponseContext(
                    method: head.method.rawValue, path: HTTPRequest.split(target: head.target).path,
                    requestID: id, version: head.version, isHead: head.method == .head,
                    close: !head.keepAlive, startedAt: now)
                currentHead = head
                if head.framing != .none {
                    state = .readingBody
                    deadline = now &+ timeouts.body
                    // Send 100 only when the client is actually waiting for it.
                    if head.expectContinue && parser.bufferedByteCount == 0 { return .sendContinue }
                }
            case .end(let body):
                guard let head = currentHead, let context = current else { return .wait }
                state = .processing
                return .dispatch(HTTPRequest(
                    method: head.method, target: head.target, headers: head.headers, body: body,
                    version: head.version, remoteAddress: remoteAddress, requestID: context.requestID))
            case .error(let error):
                return fail(with: HTTPError(error.status, message: error.message), now: now)
            }
        }
    }

    /// Answers with the rendered error and closes after it.
    private mutating func fail(with error: HTTPError, now: UInt64) -> Action {
        var context = current ?? HTTPResponseContext(
            method: parser.requestLine?.method ?? "",
            path: parser.requestLine.map { HTTPRequest.split(target: $0.target).path } ?? "",
            requestID: requestIDPrefix + "-" + RequestID.hex(requestCount + 1), version: .http1_1,
            isHead: false, close: true, startedAt: now)
        context.close = true
        context.isHead = context.method == "HEAD"
        current = nil
        currentHead = nil
        state = .closing
        return .respond(renderError(error), context)
    }
}
