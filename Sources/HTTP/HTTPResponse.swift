/// A response to write. `Content-Length`, `Server`, `Date`, `Connection` and `X-Request-Id` are
/// set by the server when it writes the response; see `HTTPResponseSerializer` for the rules.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Already-encoded bytes with a content type. The HTTP module does not encode JSON itself;
    /// the API layer hands in the bytes.
    public static func bytes(
        _ body: [UInt8], contentType: String, status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: contentType)
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    /// Already-encoded JSON.
    public static func json(
        _ body: [UInt8], status: HTTPStatus = .ok, contentType: String = "application/json",
        headers: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        bytes(body, contentType: contentType, status: status, headers: headers)
    }

    public static func text(
        _ text: String, status: HTTPStatus = .ok, contentType: String = "text/plain; charset=utf-8"
    ) -> HTTPResponse {
        bytes(Array(text.utf8), contentType: contentType, status: status)
    }

    /// An error in the contract's shape: `{"message":"...","code":"..."}`. `code` defaults to the
    /// status's contract code (NOT_FOUND, BAD_REQUEST, ...).
    public static func error(
        _ status: HTTPStatus, message: String, code: String? = nil, headers: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        json(errorBody(message: message, code: code ?? status.errorCode), status: status, headers: headers)
    }

    /// `{"message":"...","code":"..."}` with both strings JSON-escaped.
    public static func errorBody(message: String, code: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.utf8.count + code.utf8.count + 28)
        out.append(contentsOf: #"{"message":"#.utf8)
        appendJSONString(message, to: &out)
        out.append(contentsOf: #","code":"#.utf8)
        appendJSONString(code, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Minimal JSON string escaping (quotes, backslash, control characters).
    static func appendJSONString(_ s: String, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: Array(#"\u00"#.utf8))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
