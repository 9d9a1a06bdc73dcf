/// An error the server answers by itself, before or instead of the application's handler:
/// a request that does not parse or breaks a limit (400, 413, 414, 417, 431, 505), a request
/// that came too slowly (408), a new connection over the cap (503), and the router's misses
/// (404, 405 with `Allow`).
///
/// The HTTP module decides *that* such an answer is due and which status it has; the
/// application decides what it looks like (`HTTPServerConfiguration.errorRenderer`,
/// `Router.errorRenderer`), the way Hummingbird leaves `HTTPResponseError` to the application.
/// The default renders plain text.
public struct HTTPError: Error, Sendable, Equatable {
    public var status: HTTPStatus
    /// A short, fixed description; never echoes request data.
    public var message: String
    /// Headers the answer needs whatever its body (`Allow` on a 405).
    public var headers: HTTPHeaders

    public init(_ status: HTTPStatus, message: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    static let requestTimeout = HTTPError(.requestTimeout, message: "Request timed out")
    static let overloaded = HTTPError(.serviceUnavailable, message: "Too many connections")
    static let notFound = HTTPError(.notFound, message: "Not found")

    static func methodNotAllowed(allowed: [String]) -> HTTPError {
        HTTPError(.methodNotAllowed, message: "Method not supported",
                  headers: ["Allow": allowed.joined(separator: ", ")])
    }

    /// The default rendering: the message as `text/plain`, with the error's headers.
    @Sendable public static func plainText(_ error: HTTPError) -> HTTPResponse {
        var headers = error.headers
        headers.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8")
        return HTTPResponse(status: error.status, headers: headers, body: Array((error.message + "\n").utf8))
    }
}

/// Turns an error the server makes itself into the response to write. Called on an event-loop
/// thread (parse errors, timeouts, the over-cap refusal) or in the router's task: keep it
/// cheap and non-blocking.
public typealias HTTPErrorRenderer = @Sendable (HTTPError) -> HTTPResponse
