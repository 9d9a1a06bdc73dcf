@testable import HTTP

/// A parser outcome reduced to comparable values.
struct ParsedRequest: Equatable, CustomStringConvertible {
    var method: String
    var target: String
    var version: HTTPVersion
    var headers: [String]
    var body: String
    var keepAlive: Bool
    var expectContinue: Bool

    var description: String { "\(method) \(target) \(version) \(headers) body=\(body.debugDescription)" }
}

enum Outcome: Equatable {
    case request(ParsedRequest)
    case error(HTTPParserError)

    var request: ParsedRequest? {
        if case .request(let r) = self { return r }
        return nil
    }
}

/// Feeds `input` to a fresh parser `pieceSize` bytes at a time and collects every request and
/// the error that stopped it, if any.
func parse(_ input: String, limits: HTTPParserLimits = HTTPParserLimits(), pieceSize: Int = 1) -> [Outcome] {
    parse(Array(input.utf8), limits: limits, pieceSize: pieceSize)
}

func parse(_ input: [UInt8], limits: HTTPParserLimits = HTTPParserLimits(), pieceSize: Int = 1) -> [Outcome] {
    var parser = HTTPRequestParser(limits: limits)
    var outcomes: [Outcome] = []
    var head: HTTPRequestHead?
    var offset = 0
    while true {
        switch parser.next() {
        case .needMoreData:
            guard offset < input.count else { return outcomes }
            let end = min(input.count, offset + pieceSize)
            parser.append(contentsOf: input[offset..<end])
            offset = end
        case .head(let h):
            head = h
        case .end(let body):
            guard let h = head else { return outcomes + [.error(.badRequest("end without head"))] }
            outcomes.append(.request(ParsedRequest(
                method: h.method.rawValue, target: h.target, version: h.version,
                headers: h.headers.fields.map { "\($0.name): \($0.value)" },
                body: String(decoding: body, as: UTF8.self), keepAlive: h.keepAlive,
                expectContinue: h.expectContinue)))
            head = nil
        case .error(let e):
            outcomes.append(.error(e))
            return outcomes
        }
    }
}

/// Parses with several piece sizes (byte by byte included) and checks they all agree.
func parseEverySplit(_ input: String, limits: HTTPParserLimits = HTTPParserLimits()) -> [Outcome]? {
    let reference = parse(input, limits: limits, pieceSize: Int.max / 2)
    for size in [1, 2, 3, 7, 64] where parse(input, limits: limits, pieceSize: size) != reference {
        return nil
    }
    return reference
}
