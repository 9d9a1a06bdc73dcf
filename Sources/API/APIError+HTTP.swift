import HTTP

/// The errors the HTTP server answers by itself (parse errors and limits, 408, the over-cap
/// 503, the router's 404 and 405) in the contract's shape, `{"message","code"}`, like the
/// errors handlers throw. The HTTP module only knows their status and a fixed message; this is
/// where they get the API's look (`HTTPServerConfiguration.errorRenderer`, `Router.errorRenderer`).
extension APIError {
    /// The contract's error for an error the server made itself.
    public init(_ error: HTTPError) {
        self.init(Code(name: Self.codeName(for: error.status.code), status: error.status.code), error.message)
    }

    @Sendable public static func render(_ error: HTTPError) -> HTTPResponse {
        var headers = error.headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        return HTTPResponse(status: error.status, headers: headers, body: APIError(error).json.encoded())
    }

    /// The code the contract pairs with a status; statuses only the server answers (408, 414,
    /// 417, 431, 505) get codes in the same style.
    static func codeName(for status: Int) -> String {
        switch status {
        case 400: Code.badRequest.name
        case 401: Code.unauthorized.name
        case 403: Code.forbidden.name
        case 404: Code.notFound.name
        case 405: Code.methodNotSupported.name
        case 408: "REQUEST_TIMEOUT"
        case 409: Code.conflict.name
        case 412: Code.preconditionFailed.name
        case 413: Code.payloadTooLarge.name
        case 414: "URI_TOO_LONG"
        case 417: "EXPECTATION_FAILED"
        case 429: Code.tooManyRequests.name
        case 431: "REQUEST_HEADER_FIELDS_TOO_LARGE"
        case 501: "NOT_IMPLEMENTED"
        case 503: Code.serviceUnavailable.name
        case 505: "HTTP_VERSION_NOT_SUPPORTED"
        case 500...599: Code.internalServerError.name
        default: "ERROR"
        }
    }
}
