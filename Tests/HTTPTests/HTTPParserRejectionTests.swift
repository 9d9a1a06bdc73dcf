import Testing
@testable import HTTP

/// Every input here must be refused, with the same verdict however it is split.
@Suite("Parser: framing and syntax errors")
struct HTTPParserRejectionTests {
    static let badRequests: [(String, String)] = [
        ("CL with TE", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ("TE with CL", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
        ("two different CL", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"),
        ("identical CL twice", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
        ("CL list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello"),
        ("CL sign", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello"),
        ("CL negative", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"),
        ("CL hex", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\nhello"),
        ("CL inner space", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n"),
        ("CL empty", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n"),
        ("CL overflow", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
        ("TE gzip", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"),
        ("TE gzip, chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
        ("TE chunked, gzip", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
        ("TE chunked twice", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ("TE identity", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n"),
        ("TE trailing comma", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked,\r\n\r\n"),
        ("TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("bare LF ending request line", "GET / HTTP/1.1\nHost: h\r\n\r\n"),
        ("bare LF ending header", "GET / HTTP/1.1\r\nHost: h\n\r\n"),
        ("bare LF ending head", "GET / HTTP/1.1\r\nHost: h\r\n\n"),
        ("leading bare LF", "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("bare CR in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n"),
        ("bare CR in request line", "GET /\r HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("bare CR in name", "GET / HTTP/1.1\r\nHost: h\r\nX\r: b\r\n\r\n"),
        ("space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n"),
        ("tab before colon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n"),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"),
        ("obs-fold tab", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n"),
        ("first line folded", "GET / HTTP/1.1\r\n Host: h\r\n\r\n"),
        ("method with bad char", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("empty method", " / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("header name bad char", "GET / HTTP/1.1\r\nHost: h\r\nX[1]: b\r\n\r\n"),
        ("header name with space", "GET / HTTP/1.1\r\nHost: h\r\nX Y: b\r\n\r\n"),
        ("empty header name", "GET / HTTP/1.1\r\nHost: h\r\n: b\r\n\r\n"),
        ("header without colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"),
        ("NUL in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{0}b\r\n\r\n"),
        ("DEL in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{7F}b\r\n\r\n"),
        ("control char in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{1}b\r\n\r\n"),
        ("lower-case version", "GET / http/1.1\r\nHost: h\r\n\r\n"),
        ("version without minor", "GET / HTTP/1\r\nHost: h\r\n\r\n"),
        ("version with junk", "GET / HTTP/1.1x\r\nHost: h\r\n\r\n"),
        ("two-digit major", "GET / HTTP/11.1\r\nHost: h\r\n\r\n"),
        ("missing version", "GET /\r\nHost: h\r\n\r\n"),
        ("double space", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("space in target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("missing Host on 1.1", "GET / HTTP/1.1\r\n\r\n"),
        ("two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        ("chunk size not hex", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        ("chunk size negative", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n"),
        ("chunk size empty", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\n"),
        ("chunk size 0x prefix", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"),
        ("chunk size overflow", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n"),
        ("chunk size junk after", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n0\r\n\r\n"),
        ("chunk data too long", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello!\r\n0\r\n\r\n"),
        ("chunk data bare LF", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n"),
        ("chunk size bare LF", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"),
        ("chunk ext with CTL", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\u{1}\r\nhello\r\n0\r\n\r\n"),
        ("trailer folded", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: a\r\n b\r\n\r\n"),
        ("trailer bare LF", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: a\n\r\n"),
    ]

    @Test(arguments: badRequests)
    func refusedWith400(name: String, input: String) {
        let outcomes = parseEverySplit(input)
        #expect(outcomes != nil, "verdict depends on how the input is split")
        guard case .error(let error)? = outcomes?.last else {
            Issue.record("\(name): accepted as \(String(describing: outcomes))")
            return
        }
        #expect(error.status == .badRequest, "\(name): \(error)")
    }

    @Test func unsupportedMajorVersionIs505() {
        #expect(parse("GET / HTTP/2.0\r\nHost: h\r\n\r\n") == [.error(.versionNotSupported)])
        #expect(parse("GET / HTTP/0.9\r\nHost: h\r\n\r\n") == [.error(.versionNotSupported)])
    }

    @Test func failedParserStaysFailed() {
        var parser = HTTPRequestParser()
        parser.append(contentsOf: Array("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n".utf8))
        guard case .error = parser.next() else {
            Issue.record("expected an error")
            return
        }
        parser.append(contentsOf: Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        guard case .error = parser.next() else {
            Issue.record("a failed parser must not resume")
            return
        }
    }
}
