// libFuzzer entry point for the incremental HTTP/1.1 request parser, compiled into the
// HTTP module by deploy/fuzz.sh (never by SwiftPM). Any trap, sanitizer report, hang or
// invariant failure is a finding.
//
// The input's first two bytes choose how the rest is split into reads; the rest is the byte
// stream a client sends (pipelined requests included). The stream is parsed twice, in one
// piece and in those splits, and both parses must agree: a request must not mean something
// else because of where TCP happened to cut it. Every head must also be one the server can
// trust (see `checkHead`).

/// Small limits, so inputs of a few kilobytes reach every limit check.
let fuzzLimits = HTTPParserLimits(maxTargetLength: 200, maxHeaderBytes: 1024, maxHeaderCount: 12, maxBodySize: 2048)

@_cdecl("LLVMFuzzerTestOneInput")
public func httpParserFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 2 else { return 0 }
    let seed = UInt32(data[0]) << 8 | UInt32(data[1])
    let stream = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))

    let whole = parse(stream, splits: [stream.count])
    let pieces = parse(stream, splits: splitSizes(total: stream.count, seed: seed))
    fuzzCheck(whole.messages == pieces.messages,
              "split parse differs:\n\(whole.messages)\nvs\n\(pieces.messages)")
    fuzzCheck(whole.failed == pieces.failed,
              "one parse failed and the other did not: \(whole.failed) vs \(pieces.failed)")
    return 0
}

/// What a parse produced, in a comparable form.
struct ParseOutcome {
    var messages: [String] = []
    /// The error that ended the parse, if any.
    var failed: HTTPParserError?
}

/// Read sizes from a seed: seed 0 is one byte at a time, others mix small and larger reads.
func splitSizes(total: Int, seed: UInt32) -> [Int] {
    if seed == 0 { return Array(repeating: 1, count: total) }
    var state = seed | 1
    var sizes: [Int] = []
    var left = total
    while left > 0 {
        state ^= state << 13; state ^= state >> 17; state ^= state << 5
        let size = min(left, Int(state % 7 == 0 ? state % 300 : state % 9) + 1)
        sizes.append(size)
        left -= size
    }
    return sizes
}

func parse(_ stream: [UInt8], splits: [Int]) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: fuzzLimits)
    var outcome = ParseOutcome()
    var offset = 0
    var head: HTTPRequestHead?
    var appended = 0
    for size in splits {
        parser.append(contentsOf: stream[offset..<(offset + size)])
        offset += size
        appended += size
        // Each call consumes input or changes state; a bound catches a parser that spins.
        var calls = 0
        events: while true {
            calls += 1
            fuzzCheck(calls < 10_000, "next() does not make progress")
            fuzzCheck(parser.bufferedByteCount >= 0 && parser.bufferedByteCount <= appended,
                      "bufferedByteCount \(parser.bufferedByteCount) outside 0...\(appended)")
            switch parser.next() {
            case .needMoreData:
                break events
            case .head(let parsed):
                fuzzCheck(head == nil, "a second head before the first request's end")
                checkHead(parsed)
                head = parsed
                outcome.messages.append(describe(parsed))
            case .end(let body):
                guard let current = head else { fuzzFail("end without a head") }
                checkBody(body, framing: current.framing)
                outcome.messages.append("end \(body)")
                head = nil
            case .error(let error):
                // A failed parser stays failed.
                guard case .error(let again) = parser.next(), again == error else {
                    fuzzFail("parser did not stay failed after \(error)")
                }
                outcome.failed = error
                return outcome
            }
        }
    }
    return outcome
}

/// What the server relies on in a head it was given.
func checkHead(_ head: HTTPRequestHead) {
    fuzzCheck(!head.method.rawValue.isEmpty && head.method.rawValue.utf8.allSatisfy(ASCII.isTokenChar),
              "method \(head.method.rawValue.debugDescription) is not a token")
    fuzzCheck(!head.target.isEmpty && head.target.utf8.count <= fuzzLimits.maxTargetLength
              && head.target.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F },
              "target \(head.target.debugDescription) is empty, too long or has controls or spaces")
    fuzzCheck(head.headers.count <= fuzzLimits.maxHeaderCount, "more than maxHeaderCount fields")
    var hosts = 0
    for field in head.headers.fields {
        fuzzCheck(!field.name.isEmpty && field.name.utf8.allSatisfy(ASCII.isTokenChar),
                  "field name \(field.name.debugDescription) is not a token")
        // No CR, LF, NUL or other control (tab aside) may reach a handler or be echoed back.
        fuzzCheck(field.value.unicodeScalars.allSatisfy { $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F) },
                  "field value \(field.value.debugDescription) holds a control character")
        fuzzCheck(field.value.first.map { $0 != " " && $0 != "\t" } ?? true
                  && field.value.last.map { $0 != " " && $0 != "\t" } ?? true,
                  "field value \(field.value.debugDescription) keeps surrounding whitespace")
        if ASCII.equalsIgnoringCase(field.name, "Host") { hosts += 1 }
    }
    fuzzCheck(head.version == .http1_1 ? hosts == 1 : hosts <= 1, "\(hosts) Host fields")
    switch head.framing {
    case .contentLength(let n):
        fuzzCheck(n > 0 && n <= fuzzLimits.maxBodySize, "Content-Length \(n) outside 1...maxBodySize")
        fuzzCheck(!head.headers.contains("Transfer-Encoding"), "Content-Length framing with Transfer-Encoding")
    case .chunked:
        fuzzCheck(head.version == .http1_1 && !head.headers.contains("Content-Length"), "chunked framing that is ambiguous")
    case .none:
        fuzzCheck(!head.headers.contains("Transfer-Encoding"), "no framing although Transfer-Encoding is set")
    }
    fuzzCheck(!head.expectContinue || head.framing != .none, "100-continue for a request without a body")
}

func checkBody(_ body: [UInt8], framing: HTTPBodyFraming) {
    switch framing {
    case .none: fuzzCheck(body.isEmpty, "a body although the head has none")
    case .contentLength(let n): fuzzCheck(body.count == n, "body of \(body.count) bytes for Content-Length \(n)")
    case .chunked: fuzzCheck(body.count <= fuzzLimits.maxBodySize, "chunked body over maxBodySize")
    }
}

func describe(_ head: HTTPRequestHead) -> String {
    "\(head.method.rawValue) \(head.target) \(head.version) keepAlive=\(head.keepAlive) "
        + "framing=\(head.framing) continue=\(head.expectContinue) headers=\(head.headers.fields)"
}

func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fuzzFail(message()) }
}

func fuzzFail(_ message: String) -> Never {
    fatalError("invariant violated: \(message)")
}
