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
}
