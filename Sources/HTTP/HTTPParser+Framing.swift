/// Message framing and connection semantics from the header fields (RFC 9112 §6, §9.3).
/// Anything ambiguous is refused: request smuggling lives in the gaps between two parsers'
/// interpretations, so this one accepts only the unambiguous forms.
extension HTTPRequestParser {
    static func interpret(headers: HTTPHeaders, version: HTTPVersion, limits: HTTPParserLimits)
        -> Result<(HTTPBodyFraming, keepAlive: Bool, expectContinue: Bool), HTTPParserError>
    {
        var contentLength: Int?
        var contentLengthCount = 0
        var transferEncodings: [Substring] = []
        var hostCount = 0
        var close = false
        var keepAliveToken = false
        var expectContinue = false

        for field in headers.fields {
            let name = field.name
            // Cheap length switch first: most fields are none of these.
            switch name.utf8.count {
            case 4 where ASCII.equalsIgnoringCase(name, "Host"):
                hostCount += 1
            case 6 where ASCII.equalsIgnoringCase(name, "Expect"):
                if ASCII.equalsIgnoringCase(field.value, "100-continue") {
                    // RFC 9110 §10.1.1: an HTTP/1.0 client cannot mean it; ignore there.
                    expectContinue = version == .http1_1
                } else {
                    return .failure(.expectationFailed)
                }
            case 10 where ASCII.equalsIgnoringCase(name, "Connection"):
                for token in ASCII.listElements(field.value) {
                    if ASCII.equalsIgnoringCase(String(token), "close") { close = true }
                    if ASCII.equalsIgnoringCase(String(token), "keep-alive") { keepAliveToken = true }
                }
            case 14 where ASCII.equalsIgnoringCase(name, "Content-Length"):
                contentLengthCount += 1
                guard let n = parseContentLength(field.value) else {
                    return .failure(.badRequest("invalid Content-Length"))
                }
                contentLength = n
            case 17 where ASCII.equalsIgnoringCase(name, "Transfer-Encoding"):
                transferEncodings.append(contentsOf: ASCII.listElements(field.value))
            default:
                break
            }
        }

        // Exactly one Host on HTTP/1.1, at most one on 1.0 (RFC 9112 §3.2).
        if hostCount > 1 || (hostCount == 0 && version == .http1_1) {
            return .failure(.badRequest("missing or repeated Host"))
        }
        // Even identical duplicates are refused: simpler than proving them equal everywhere.
        if contentLengthCount > 1 { return .failure(.badRequest("repeated Content-Length")) }

        let framing: HTTPBodyFraming
        if !transferEncodings.isEmpty {
            if contentLengthCount > 0 { return .failure(.badRequest("Content-Length with Transfer-Encoding")) }
            // HTTP/1.0 has no chunked coding; RFC 9112 §6.1 calls such framing faulty.
            if version == .http1_0 { return .failure(.badRequest("Transfer-Encoding on HTTP/1.0")) }
            // Only `chunked`, once: any other coding (gzip, ...) we could not decode, and a
            // non-final chunked leaves the length unknowable.
            guard transferEncodings.count == 1, ASCII.equalsIgnoringCase(String(transferEncodings[0]), "chunked")
            else { return .failure(.badRequest("unsupported transfer coding")) }
            framing = .chunked
        } else if let contentLength {
            if contentLength > limits.maxBodySize { return .failure(.payloadTooLarge) }
            framing = contentLength == 0 ? .none : .contentLength(contentLength)
        } else {
            framing = .none
        }

        let keepAlive = version == .http1_1 ? !close : (keepAliveToken && !close)
        return .success((framing, keepAlive, expectContinue && framing != .none))
    }

    /// 1*DIGIT, no sign, no spaces, no list; nil on overflow.
    static func parseContentLength(_ value: String) -> Int? {
        guard !value.isEmpty else { return nil }
        var n = 0
        for b in value.utf8 {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(b - 0x30))
            if o1 || o2 { return nil }
            n = s
        }
        return n
    }
}
