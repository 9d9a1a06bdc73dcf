import Testing
@testable import HTTP

@Suite("Parser: limits are enforced while bytes arrive")
struct HTTPParserLimitTests {
    let limits = HTTPParserLimits(maxTargetLength: 100, maxHeaderBytes: 200, maxHeaderCount: 5, maxBodySize: 50)

    @Test func longTargetIs414() {
        let target = "/" + String(repeating: "a", count: 100)
        #expect(parse("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n", limits: limits) == [.error(.uriTooLong)])
        let fits = "/" + String(repeating: "a", count: 99)
        #expect(parse("GET \(fits) HTTP/1.1\r\nHost: h\r\n\r\n", limits: limits).first?.request != nil)
    }

    @Test func unterminatedRequestLineIs414BeforeItEnds() {
        // No CRLF ever arrives: the parser must give up once the line is too long.
        let outcomes = parse("GET /" + String(repeating: "a", count: 500), limits: limits)
        #expect(outcomes == [.error(.uriTooLong)])
    }

    @Test func headerBytesOverLimitIs431() {
        let big = "X-Big: " + String(repeating: "v", count: 200) + "\r\n"
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\n\(big)\r\n", limits: limits) == [.error(.headerFieldsTooLarge)])
        // Also without a line end: an endless header line is cut off.
        #expect(parse("GET / HTTP/1.1\r\nX: " + String(repeating: "v", count: 300), limits: limits)
            == [.error(.headerFieldsTooLarge)])
    }

    @Test func headerCountOverLimitIs431() {
        let five = (1...4).map { "X-\($0): v\r\n" }.joined()
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\n\(five)\r\n", limits: limits).first?.request != nil)
        let six = (1...5).map { "X-\($0): v\r\n" }.joined()
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\n\(six)\r\n", limits: limits) == [.error(.tooManyHeaders)])
        #expect(HTTPParserError.tooManyHeaders.status.code == 431)
    }

    @Test func contentLengthOverLimitIs413FromTheHeadAlone() {
        var parser = HTTPRequestParser(limits: limits)
        parser.append(contentsOf: Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 51\r\n\r\n".utf8))
        guard case .error(.payloadTooLarge) = parser.next() else {
            Issue.record("expected 413 before any body byte")
            return
        }
    }

    @Test func chunkedRunningTotalOverLimitIs413() {
        let chunks = "20\r\n" + String(repeating: "a", count: 32) + "\r\n" + "13\r\n"  // 32 + 19 = 51
        let input = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
        #expect(parse(input, limits: limits) == [.error(.payloadTooLarge)])
        let exact = "20\r\n" + String(repeating: "a", count: 32) + "\r\n12\r\n" + String(repeating: "b", count: 18)
            + "\r\n0\r\n\r\n"
        #expect(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + exact, limits: limits)
            .first?.request?.body.count == 50)
    }

    @Test func trailersCountAgainstTheHeaderLimit() {
        let trailer = "T: " + String(repeating: "t", count: 250) + "\r\n"
        let input = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\(trailer)\r\n"
        #expect(parse(input, limits: limits) == [.error(.headerFieldsTooLarge)])
    }
}
