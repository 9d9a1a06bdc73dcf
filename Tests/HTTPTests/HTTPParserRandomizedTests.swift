import HeraldTestSupport
import Testing
@testable import HTTP

/// Random well-formed requests, pipelined and cut at random points, must parse back exactly.
@Suite("Parser: randomized pipelines")
struct HTTPParserRandomizedTests {
    @Test(arguments: 1...20)
    func randomPipelineParsesBack(seed: UInt64) {
        var rng = SeededGenerator(state: seed)
        var wire: [UInt8] = []
        var expected: [(String, String, [UInt8])] = []
        let tokenChars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'|^`#$%&+")
        for _ in 0..<Int.random(in: 1...12, using: &rng) {
            let method = ["GET", "POST", "PUT", "DELETE", "PATCH", "X-CUSTOM"].randomElement(using: &rng)!
            let path = "/" + String((0..<Int.random(in: 0...40, using: &rng)).map { _ in
                Array("abc/%20?=&xyz-._~").randomElement(using: &rng)!
            })
            var head = "\(method) \(path) HTTP/1.1\r\nHost: example\r\n"
            for _ in 0..<Int.random(in: 0...8, using: &rng) {
                let name = String((0..<Int.random(in: 1...12, using: &rng)).map { _ in tokenChars.randomElement(using: &rng)! })
                let value = String((0..<Int.random(in: 0...30, using: &rng)).map { _ in
                    Array("abc xyz\t;,=\"()0123456789").randomElement(using: &rng)!
                }).trimmingWhitespace()
                if ["host", "content-length", "transfer-encoding", "expect", "connection"].contains(name.lowercased()) { continue }
                head += "\(name): \(value)\r\n"
            }
            let body = (0..<Int.random(in: 0...3000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let chunked = Bool.random(using: &rng)
            var message: [UInt8]
            if chunked {
                message = Array((head + "Transfer-Encoding: chunked\r\n\r\n").utf8)
                var rest = body[...]
                while !rest.isEmpty {
                    let size = min(rest.count, Int.random(in: 1...700, using: &rng))
                    let ext = Bool.random(using: &rng) ? ";x=\"y\"" : ""
                    message += Array((String(size, radix: 16, uppercase: Bool.random(using: &rng)) + ext + "\r\n").utf8)
                    message += rest.prefix(size)
                    message += [13, 10]
                    rest = rest.dropFirst(size)
                }
                message += Array("0\r\n".utf8)
                if Bool.random(using: &rng) { message += Array("Trailer-X: t\r\n".utf8) }
                message += [13, 10]
            } else {
                message = Array((head + "Content-Length: \(body.count)\r\n\r\n").utf8) + body
            }
            wire += message
            expected.append((method, path, body))
        }

        var parser = HTTPRequestParser(limits: HTTPParserLimits(maxBodySize: 1 << 20))
        var offset = 0
        var got: [(String, String, [UInt8])] = []
        var head: HTTPRequestHead?
        loop: while true {
            switch parser.next() {
            case .needMoreData:
                guard offset < wire.count else { break loop }
                let end = min(wire.count, offset + Int.random(in: 1...200, using: &rng))
                parser.append(contentsOf: wire[offset..<end])
                offset = end
            case .head(let h): head = h
            case .end(let body): got.append((head!.method.rawValue, head!.target, body))
            case .error(let error):
                Issue.record("seed \(seed): \(error)")
                return
            }
        }
        #expect(got.count == expected.count, "seed \(seed)")
        for (g, e) in zip(got, expected) {
            #expect(g.0 == e.0 && g.1 == e.1 && g.2 == e.2, "seed \(seed)")
        }
        #expect(parser.bufferedByteCount == 0)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
