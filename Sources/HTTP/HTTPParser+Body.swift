/// Body reading: Content-Length and chunked (RFC 9112 §7.1).
extension HTTPRequestParser {
    mutating func readBody(_ p: UnsafeBufferPointer<UInt8>, remaining: Int) -> HTTPParserEvent? {
        let take = min(remaining, p.count - start)
        guard take > 0 else { return .needMoreData }
        body.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<(start + take)]))
        start += take
        scan = start
        state = take == remaining ? .end : .body(remaining: remaining - take)
        return nil
    }

    /// chunk-size [ BWS chunk-ext ] CRLF. Extensions are ignored but must not contain control
    /// characters; sizes are strict hex with an overflow check and count against the body limit
    /// before any of the chunk is read.
    mutating func parseChunkSize(_ p: UnsafeBufferPointer<UInt8>) -> HTTPParserEvent? {
        guard let lf = findLineFeed(p) else {
            // `+ 1`: the unfinished line may end in its CR (see parseRequestLine).
            if p.count - start > HTTPParserLimits.maxChunkLineLength + 1 { return fail(.badRequest("chunk size line too long")) }
            return .needMoreData
        }
        // Length before syntax, as while the line was unfinished (see parseRequestLine).
        if lf - start > HTTPParserLimits.maxChunkLineLength + 1 { return fail(.badRequest("chunk size line too long")) }
        guard lf > start, p[lf - 1] == ASCII.cr else { return fail(.badRequest("bare LF")) }
        let end = lf - 1
        var i = start
        var size = 0
        while i < end, let digit = PercentDecoding.hexValue(p[i]) {
            let (m, o1) = size.multipliedReportingOverflow(by: 16)
            let (s, o2) = m.addingReportingOverflow(Int(digit))
            if o1 || o2 { return fail(.badRequest("chunk size overflow")) }
            size = s
            i += 1
        }
        guard i > start else { return fail(.badRequest("invalid chunk size")) }
        while i < end && ASCII.isWhitespace(p[i]) { i += 1 }
        if i < end {
            guard p[i] == UInt8(ascii: ";") else { return fail(.badRequest("invalid chunk size")) }
            while i < end {
                guard ASCII.isFieldValueChar(p[i]) else { return fail(.badRequest("invalid chunk extension")) }
                i += 1
            }
        }
        if size > limits.maxBodySize - body.count { return fail(.payloadTooLarge) }
        start = lf + 1
        scan = start
        state = size == 0 ? .trailers : .chunkData(remaining: size)
        return nil
    }

    mutating func readChunkData(_ p: UnsafeBufferPointer<UInt8>, remaining: Int) -> HTTPParserEvent? {
        let take = min(remaining, p.count - start)
        guard take > 0 else { return .needMoreData }
        body.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<(start + take)]))
        start += take
        scan = start
        state = take == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - take)
        return nil
    }

    mutating func parseChunkDataEnd(_ p: UnsafeBufferPointer<UInt8>) -> HTTPParserEvent? {
        if p.count - start >= 1 && p[start] != ASCII.cr { return fail(.badRequest("chunk data not followed by CRLF")) }
        guard p.count - start >= 2 else { return .needMoreData }
        guard p[start + 1] == ASCII.lf else { return fail(.badRequest("chunk data not followed by CRLF")) }
        start += 2
        scan = start
        state = .chunkSize
        return nil
    }

    /// Trailer fields are validated like header fields, counted against `maxHeaderBytes`, and
    /// discarded: nothing downstream asks for them.
    mutating func parseTrailerLine(_ p: UnsafeBufferPointer<UInt8>) -> HTTPParserEvent? {
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
        if end == lineStart {
            state = .end
            return nil
        }
        if case .failure(let error) = parseField(p, lineStart, end) { return fail(error) }
        return nil
    }
}
