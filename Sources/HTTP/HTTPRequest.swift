/// A complete request, body included, as handed to an `HTTPResponder`.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The request-target exactly as received (origin-form `/p?q`, or absolute-form).
    public let target: String
    /// The path part of the target, still percent-encoded (the router decodes per segment, so
    /// an encoded "/" inside a parameter stays inside it).
    public let path: String
    /// The query after "?", still encoded; "" when there is none.
    public let rawQuery: String
    /// Decoded query parameters; for a repeated name the first value wins (see `queryItems`).
    public let query: [String: String]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var version: HTTPVersion
    /// "ip:port" of the peer ("[ip]:port" for IPv6); "" when unknown.
    public var remoteAddress: String
    /// The client's `X-Request-Id` when it is 1-128 token characters, else a generated one.
    /// The server echoes it in the response's `X-Request-Id`.
    public var requestID: String

    public init(
        method: HTTPMethod, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        version: HTTPVersion = .http1_1, remoteAddress: String = "", requestID: String = ""
    ) {
        self.method = method
        self.target = target
        let (path, rawQuery) = HTTPRequest.split(target: target)
        self.path = path
        self.rawQuery = rawQuery
        self.query = rawQuery.isEmpty ? [:] : QueryString.dictionary(rawQuery)
        self.headers = headers
        self.body = body
        self.version = version
        self.remoteAddress = remoteAddress
        self.requestID = requestID
    }

    /// Every query pair in order, including repeats.
    public var queryItems: [(name: String, value: String)] { QueryString.items(rawQuery) }

    /// Splits a target into path and query; absolute-form (`http://host/p?q`) keeps only the
    /// path, and "*" (OPTIONS) is its own path.
    static func split(target: String) -> (path: String, query: String) {
        var rest = Substring(target)
        if !target.hasPrefix("/") && target != "*" {
            // absolute-form: drop "scheme://authority"
            if let schemeEnd = rest.firstRange(of: "://") {
                rest = rest[schemeEnd.upperBound...]
                if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                    rest = rest[slash...]
                } else {
                    rest = ""
                }
            }
        }
        var path: Substring
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            path = rest[..<q]
            query = rest[rest.index(after: q)...]
        } else {
            path = rest
        }
        if path.isEmpty { path = "/" }
        return (String(path), String(query))
    }
}
