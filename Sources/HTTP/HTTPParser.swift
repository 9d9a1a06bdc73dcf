import Glibc

/// How the body of a request is delimited.
public enum HTTPBodyFraming: Equatable, Sendable {
    case none
    case contentLength(Int)
    case chunked
}

/// A parsed request head, before its body.
public struct HTTPRequestHead: Sendable {
    public var method: HTTPMethod
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// Whether the connection may stay open after this request (version and `Connection`).
    public var keepAlive: Bool
    public var framing: HTTPBodyFraming
    /// `Expect: 100-continue` on an HTTP/1.1 request.
    public var expectContinue: Bool
}

public enum HTTPParserEvent: Sendable {
    /// Feed more bytes.
    case needMoreData
    /// The head is complete and valid; the body (if any) follows. Emitted for every request.
    case head(HTTPRequestHead)
    /// The body is complete (empty when there is none); the parser is ready for the next request.
    case end([UInt8])
    /// The request is invalid; the parser stays failed.
    case error(HTTPParserError)
}

/// An incremental HTTP/1.1 request parser: a pure state machine over a byte buffer. Bytes may
/// arrive in any pieces (down to one at a time); `next()` resumes where it stopped and never
/// re-scans a line it already searched. Limits are checked as bytes arrive, so an oversized
/// head or body is refused before it is buffered.
///
/// One request is parsed at a time: after `.end` the parser starts on the next request only
/// when `next()` is called again, so pipelined bytes simply wait in the buffer.
public struct HTTPRequestParser: Sendable {
    public let limits: HTTPParserLimits

    enum State: Sendable {
        case requestLine
        case headers
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case end
        case failed(HTTPParserError)
    }

    private(set) var buffer: [UInt8] = []
    /// First byte not yet consumed.
    var start = 0
    /// Where the search for the current line's LF resumes (so byte-by-byte input stays linear).
    var scan = 0
    var state: State = .requestLine

    // The request being parsed.
    var method = HTTPMethod.get
    var target = ""
    var version = HTTPVersion.http1_1
    var headers = HTTPHeaders()
    var headerBytes = 0
    var body: [UInt8] = []
    /// Method and target of the current request once its request line parsed (for logging errors).
    public private(set) var requestLine: (method: String, target: String)?

    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    /// Bytes received but not yet consumed by a completed request.
    public var bufferedByteCount: Int { buffer.count - start }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append<C: Collection>(contentsOf bytes: C) where C.Element == UInt8 {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Drops everything buffered (used while lingering before close).
    public mutating func discardBuffered() {
        buffer = []
        start = 0
        scan = 0
    }

    /// Reclaims consumed bytes. Big buffers (a large body passed through) are released rather
    /// than kept per idle connection.
    private mutating func compact() {
        if start == buffer.count {
            if buffer.capacity > 65536 { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
            scan -= start
            start = 0
        } else if start >= 16384 && start * 2 >= buffer.count {
            buffer.removeSubrange(0..<start)
            scan -= start
            start = 0
        }
        if scan < 0 { scan = 0 }
    }

    public mutating func next() -> HTTPParserEvent {
        let storage = buffer  // read-only view; `step` never mutates `buffer`
        return storage.withUnsafeBufferPointer { step($0) }
    }

    private mutating func step(_ p: UnsafeBufferPointer<UInt8>) -> HTTPParserEvent {
        while true {
            let event: HTTPParserEvent?
            switch state {
            case .requestLine: event = parseRequestLine(p)
            case .headers: event = parseHeaderLine(p)
            case .body(let remaining): event = readBody(p, remaining: remaining)
            case .chunkSize: event = parseChunkSize(p)
            case .chunkData(let remaining): event = readChunkData(p, remaining: remaining)
            case .chunkDataEnd: event = parseChunkDataEnd(p)
            case .trailers: event = parseTrailerLine(p)
            case .end: event = finishMessage()
            case .failed(let error): event = .error(error)
            }
            if let event { return event }
        }
    }

    mutating func fail(_ error: HTTPParserError) -> HTTPParserEvent {
        state = .failed(error)
        return .error(error)
    }

    /// Finds the LF ending the line that starts at `start`. Returns the index of the LF, or nil
    /// (and remembers how far it looked).
    @inline(__always)
    mutating func findLineFeed(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
        let from = max(scan, start)
        guard from < p.count else { return nil }
        let base = p.baseAddress!
        if let hit = memchr(base + from, Int32(ASCII.lf), p.count - from) {
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
        scan = p.count
        return nil
    }

    // MARK: request line

    private mutating func parseRequestLine(_ p: UnsafeBufferPointer<UInt8>) -> HTTPParserEvent? {
        // RFC 9112 §2.2: ignore empty lines (CRLF) before a request line.
        while p.count - start >= 2 && p[start] == ASCII.cr && p[start + 1] == ASCII.lf {
            start += 2
        }
        if start < p.count && p[start] == ASCII.lf { return fail(.badRequest("bare LF")) }
        guard let lf = findLineFeed(p) else {
            // The unfinished line may end in the CR of its CRLF, which the limit does not count:
            // without the `+ 1` a line of exactly the limit failed or passed by where reads split.
            if p.count - start > limits.maxRequestLineLength + 1 { return fail(.uriTooLong) }
            return .needMoreData
        }
        // Length before syntax, measured as the unfinished-line check above measures it: which
        // error a line gets must not depend on where the reads split it.
        if lf - start > limits.maxRequestLineLength + 1 { return fail(.uriTooLong) }
        guard lf > start, p[lf - 1] == ASCII.cr else { return fail(.badRequest("bare LF")) }
        let end = lf - 1

        var i = start
        while i < end && ASCII.isTokenChar(p[i]) { i += 1 }
        guard i > start, i < end, p[i] == ASCII.space else { return fail(.badRequest("invalid method")) }
        let methodEnd = i
        i += 1
        let targetStart = i
        while i < end && p[i] > 0x20 && p[i] < 0x7F { i += 1 }
        let targetEnd = i
        if targetEnd - targetStart > limits.maxTargetLength { return fail(.uriTooLong) }
        guard targetEnd > targetStart, i < end, p[i] == ASCII.space else {
            return fail(.badRequest("invalid request target"))
        }
        i += 1
        guard let version = parseVersion(p, from: i, to: end) else {
            return fail(.badRequest("invalid HTTP version"))
        }
        guard version.major == 1 else { return fail(.versionNotSupported) }

        method = HTTPMethod(rawValue: string(p, start, methodEnd))
        target = string(p, targetStart, targetEnd)
        // RFC 9110 §2.5: a higher minor version is handled as the highest we implement.
        self.version = version.minor >= 1 ? .http1_1 : .http1_0
        requestLine = (method.rawValue, target)
        guard isAcceptableTargetForm(p[targetStart], method: method) else {
            return fail(.badRequest("invalid request target form"))
        }
        start = lf + 1
        scan = start
        headers = HTTPHeaders()
        headerBytes = 0
        state = .headers
        return nil
    }

    /// origin-form ("/..."), absolute-form ("http://..."), or "*" for OPTIONS.
    private func isAcceptableTargetForm(_ first: UInt8, method: HTTPMethod) -> Bool {
        if first == UInt8(ascii: "/") { return true }
        if target == "*" { return method == .options }
        let lower = target.prefix(8).lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    /// "HTTP/" DIGIT "." DIGIT, exactly.
    private func parseVersion(_ p: UnsafeBufferPointer<UInt8>, from i: Int, to end: Int) -> HTTPVersion? {
        guard end - i == 8,
              p[i] == UInt8(ascii: "H"), p[i + 1] == UInt8(ascii: "T"), p[i + 2] == UInt8(ascii: "T"),
              p[i + 3] == UInt8(ascii: "P"), p[i + 4] == UInt8(ascii: "/"), p[i + 6] == UInt8(ascii: "."),
              (0x30...0x39).contains(p[i + 5]), (0x30...0x39).contains(p[i + 7])
        else { return nil }
        return HTTPVersion(major: Int(p[i + 5] - 0x30), minor: Int(p[i + 7] - 0x30))
    }

    @inline(__always)
    func string(_ p: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: p[from..<to]), as: UTF8.self)
    }

    // MARK: header fields

    private mutating func parseHeaderLine(_ p: UnsafeBufferPointer<UInt8>) -> HTTPParserEvent? {
        guard let lf = findLineFeed(p) else {
            if headerBytes + (p.count - start) > limits.maxHeaderBytes { return fail(.headerFieldsTooLarge) }
            return .needMoreData
        }
        let lineStart = start
        headerBytes += lf + 1 - lineStart
        // Size before syntax, as while the line was unfinished (see parseRequestLine).
        if headerBytes > limits.maxHeaderBytes { return fail(.headerFieldsTooLarge) }
        guard lf > start, p[lf - 1] == ASCII.cr else { return fail(.badRequest("bare LF")) }
        let end = lf - 1
        start = lf + 1
        scan = start
        if end == lineStart { return finishHead() }

        switch parseField(p, lineStart, end) {
        case .failure(let error):
            return fail(error)
        case .success(let (nameEnd, valueStart, valueEnd)):
            if headers.count >= limits.maxHeaderCount { return fail(.tooManyHeaders) }
            headers.add(name: string(p, lineStart, nameEnd), value: string(p, valueStart, valueEnd))
            return nil
        }
    }

    /// Validates `name ":" OWS value OWS` between `lineStart` and `end` (CRLF excluded) and returns
    /// where the name ends and the trimmed value lies.
    func parseField(_ p: UnsafeBufferPointer<UInt8>, _ lineStart: Int, _ end: Int)
        -> Result<(Int, Int, Int), HTTPParserError>
    {
        if ASCII.isWhitespace(p[lineStart]) { return .failure(.badRequest("obsolete line folding")) }
        var i = lineStart
        while i < end && ASCII.isTokenChar(p[i]) { i += 1 }
        guard i < end else { return .failure(.badRequest("header field without colon")) }
        if p[i] != ASCII.colon {
            return .failure(.badRequest(ASCII.isWhitespace(p[i])
                ? "whitespace before colon" : "invalid header name"))
        }
        guard i > lineStart else { return .failure(.badRequest("empty header name")) }
        let nameEnd = i
        i += 1
        while i < end && ASCII.isWhitespace(p[i]) { i += 1 }
        var valueEnd = end
        while valueEnd > i && ASCII.isWhitespace(p[valueEnd - 1]) { valueEnd -= 1 }
        var j = i
        while j < valueEnd {
            guard ASCII.isFieldValueChar(p[j]) else { return .failure(.badRequest("invalid header value")) }
            j += 1
        }
        return .success((nameEnd, i, valueEnd))
    }

    /// The head is complete: decide framing and connection handling from the fields.
    private mutating func finishHead() -> HTTPParserEvent? {
        switch HTTPRequestParser.interpret(headers: headers, version: version, limits: limits) {
        case .failure(let error):
            return fail(error)
        case .success(let (framing, keepAlive, expectContinue)):
            let head = HTTPRequestHead(method: method, target: target, version: version, headers: headers,
                                       keepAlive: keepAlive, framing: framing, expectContinue: expectContinue)
            headers = HTTPHeaders()
            body = []
            switch framing {
            case .none, .contentLength(0): state = .end
            case .contentLength(let n):
                // A declared length is only a claim: reserve a little, grow as bytes arrive.
                body.reserveCapacity(min(n, 65536))
                state = .body(remaining: n)
            case .chunked:
                headerBytes = 0  // trailers get their own allowance
                state = .chunkSize
            }
            return .head(head)
        }
    }

    private mutating func finishMessage() -> HTTPParserEvent {
        let complete = body
        body = []
        state = .requestLine
        requestLine = nil
        return .end(complete)
    }
}
