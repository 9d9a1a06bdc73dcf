import Testing
@testable import HTTP

@Suite("Parser: valid requests, fed in pieces down to single bytes")
struct HTTPParserTests {
    @Test func simpleGetByteByByte() {
        let outcomes = parseEverySplit("GET /a/b?c=d HTTP/1.1\r\nHost: example\r\nX-Thing:  spaced value \t\r\n\r\n")
        #expect(outcomes == [.request(ParsedRequest(
            method: "GET", target: "/a/b?c=d", version: .http1_1,
            headers: ["Host: example", "X-Thing: spaced value"], body: "", keepAlive: true, expectContinue: false))])
    }

    @Test func contentLengthBody() {
        let outcomes = parseEverySplit("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world")
        #expect(outcomes?.first?.request?.body == "hello world")
        #expect(outcomes?.count == 1)
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() {
        let input = "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value;flag\r\nhello\r\n"
            + "6 ; spaced=ext\r\n world\r\n"
            + "A\r\n0123456789\r\n"
            + "0\r\nTrailer-One: x\r\nTrailer-Two: y\r\n\r\n"
        let outcomes = parseEverySplit(input)
        #expect(outcomes?.count == 1)
        #expect(outcomes?.first?.request?.body == "hello world0123456789")
    }

    @Test func chunkSizesAreCaseInsensitiveHexWithLeadingZeros() {
        let input = "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
            + "0000a\r\n0123456789\r\nF\r\n0123456789abcde\r\n0\r\n\r\n"
        #expect(parseEverySplit(input)?.first?.request?.body == "0123456789" + "0123456789abcde")
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let one = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
        let two = "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
        let three = "POST /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n"
        let outcomes = parseEverySplit(one + two + three)
        #expect(outcomes?.map { $0.request?.target } == ["/1", "/2", "/3"])
        #expect(outcomes?.map { $0.request?.body } == ["", "abc", "z"])
    }

    @Test func leadingEmptyLinesAreIgnored() {
        #expect(parseEverySplit("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")?.first?.request?.target == "/")
    }

    @Test func connectionSemantics() {
        let http10 = parse("GET / HTTP/1.0\r\n\r\n").first?.request
        #expect(http10?.keepAlive == false)
        #expect(http10?.version == .http1_0)
        #expect(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").first?.request?.keepAlive == true)
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n").first?.request?.keepAlive == false)
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n").first?.request?.keepAlive == true)
    }

    @Test func expectContinueOnlyWithABodyOnHTTP11() {
        let withBody = "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx"
        #expect(parse(withBody).first?.request?.expectContinue == true)
        let noBody = "GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n"
        #expect(parse(noBody).first?.request?.expectContinue == false)
        let http10 = "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx"
        #expect(parse(http10).first?.request?.expectContinue == false)
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n") == [.error(.expectationFailed)])
    }

    @Test func otherTargetForms() {
        #expect(parse("GET http://example.com/x?y=1 HTTP/1.1\r\nHost: example.com\r\n\r\n").first?.request?.target
            == "http://example.com/x?y=1")
        #expect(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").first?.request?.target == "*")
        #expect(parse("GET * HTTP/1.1\r\nHost: h\r\n\r\n").first?.request == nil)
        #expect(parse("GET x HTTP/1.1\r\nHost: h\r\n\r\n").first?.request == nil)
    }

    @Test func obsTextIsAllowedInValues() {
        let input: [UInt8] = Array("GET / HTTP/1.1\r\nHost: h\r\nX: caf".utf8) + [0xC3, 0xA9] + Array("\r\n\r\n".utf8)
        #expect(parse(input).first?.request?.headers.last == "X: café")
    }

    @Test func higherMinorVersionIsTreatedAsHTTP11() {
        #expect(parse("GET / HTTP/1.7\r\nHost: h\r\n\r\n").first?.request?.version == .http1_1)
    }

    @Test func bufferIsReleasedAfterALargeBody() {
        var parser = HTTPRequestParser()
        let body = [UInt8](repeating: 0x61, count: 300_000)
        parser.append(contentsOf: Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 300000\r\n\r\n".utf8) + body)
        guard case .head = parser.next(), case .end(let received) = parser.next() else {
            Issue.record("expected a request")
            return
        }
        #expect(received.count == 300_000)
        #expect(parser.bufferedByteCount == 0)
        parser.append(contentsOf: Array("GET / HTTP/1.1\r\n".utf8))
        #expect(parser.buffer.capacity < 65536)
    }
}
