import Testing
@testable import HTTP

/// Inputs the libFuzzer harness (fuzz/HTTPParser) found: a request must mean the same whether
/// it arrives in one read or byte by byte.
@Suite("Parser: fuzzing findings")
struct HTTPParserFuzzFindingTests {
    let limits = HTTPParserLimits(maxTargetLength: 200, maxHeaderBytes: 1024, maxHeaderCount: 12, maxBodySize: 2048)

    /// A request line exactly as long as the limit allows: byte by byte, its CR arrived before
    /// its LF, was counted against the limit, and the request was refused with 414, while in one
    /// read it was accepted.
    @Test func requestLineOfExactlyTheLimitPassesWhateverTheSplit() {
        let target = "/" + String(repeating: "a", count: 199)
        let method = String(repeating: "M", count: limits.maxRequestLineLength - target.utf8.count - " HTTP/1.1".utf8.count - 1)
        let line = "\(method) \(target) HTTP/1.1"
        #expect(line.utf8.count == limits.maxRequestLineLength)
        let outcomes = parseEverySplit("\(line)\r\nHost: h\r\n\r\n", limits: limits)
        #expect(outcomes?.first?.request?.target == target)
        // One byte longer is refused, in every split.
        #expect(parseEverySplit("M\(line)\r\nHost: h\r\n\r\n", limits: limits) == [.error(.uriTooLong)])
    }

    /// The same for a chunk-size line (size plus extension) of exactly `maxChunkLineLength` bytes.
    @Test func chunkSizeLineOfExactlyTheLimitPassesWhateverTheSplit() {
        let sizeLine = "1;" + String(repeating: "x", count: HTTPParserLimits.maxChunkLineLength - 2)
        let head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        let outcomes = parseEverySplit(head + sizeLine + "\r\na\r\n0\r\n\r\n", limits: limits)
        #expect(outcomes?.first?.request?.body == "a")
        #expect(parseEverySplit(head + sizeLine + "x\r\na\r\n0\r\n\r\n", limits: limits)
            == [.error(.badRequest("chunk size line too long"))])
    }

    /// The fuzzer's first finding (fuzz/HTTPParser, after 92,000 inputs): a request line over the
    /// limit that ends in a bare LF was 400 "bare LF" when it arrived whole but 414 when the
    /// limit was passed before its LF arrived. Length is now judged first, in every split.
    @Test func overlongLineEndingInBareLFIs414WhateverTheSplit() {
        let line = "GET /" + String(repeating: "q", count: limits.maxRequestLineLength)
        #expect(parseEverySplit(line + "\n", limits: limits) == [.error(.uriTooLong)])
        // The same for header and trailer lines (431) and chunk-size lines.
        let header = "X: " + String(repeating: "v", count: limits.maxHeaderBytes) + "\n"
        #expect(parseEverySplit("GET / HTTP/1.1\r\nHost: h\r\n" + header, limits: limits) == [.error(.headerFieldsTooLarge)])
        let chunked = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(parseEverySplit(chunked + "0\r\n" + header, limits: limits) == [.error(.headerFieldsTooLarge)])
        let sizeLine = "1;" + String(repeating: "x", count: HTTPParserLimits.maxChunkLineLength) + "\n"
        #expect(parseEverySplit(chunked + sizeLine, limits: limits) == [.error(.badRequest("chunk size line too long"))])
    }
}
