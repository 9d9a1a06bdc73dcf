/// A route handler: the request plus the path parameters its pattern captured.
public typealias RouteHandler = @Sendable (HTTPRequest, Parameters) async -> HTTPResponse

/// Method + path-pattern routing.
///
/// Patterns are `/`-separated segments; `:name` captures one segment. Matching is per segment on
/// the percent-decoded path (split before decoding, so `%2F` stays inside a parameter); empty
/// segments are ignored, so a trailing slash does not matter. A static segment is preferred
/// over a parameter; if the static branch has no route for the method but a parameter branch
/// does, the parameter branch is used.
///
/// No path match: 404. Path matches but not the method: 405 with `Allow`. Both are rendered by
/// `errorRenderer`. HEAD falls back to the GET handler (the server sends no body for HEAD).
public struct Router: HTTPResponder {
    private var root = RouteNode()
    /// Renders the router's 404 and 405 (the application's error shape; plain text by default).
    public var errorRenderer: HTTPErrorRenderer

    public init(errorRenderer: @escaping HTTPErrorRenderer = HTTPError.plainText) {
        self.errorRenderer = errorRenderer
    }

    /// Registers `handler` for `method` on `pattern`, replacing an earlier registration.
    public mutating func on(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping RouteHandler) {
        var names: [String] = []
        let segments = Router.segments(of: pattern).map { segment -> RouteNode.Segment in
            if segment.hasPrefix(":") && segment.count > 1 {
                names.append(String(segment.dropFirst()))
                return .parameter
            }
            return .literal(PercentDecoding.decode(segment))
        }
        root.insert(segments[...], method: method, route: RouteNode.Route(parameterNames: names, handler: handler))
    }

    public mutating func on(_ method: String, _ pattern: String, _ handler: @escaping RouteHandler) {
        on(HTTPMethod(method), pattern, handler)
    }

    public mutating func get(_ pattern: String, _ handler: @escaping RouteHandler) { on(.get, pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping RouteHandler) { on(.post, pattern, handler) }
    public mutating func put(_ pattern: String, _ handler: @escaping RouteHandler) { on(.put, pattern, handler) }
    public mutating func patch(_ pattern: String, _ handler: @escaping RouteHandler) { on(.patch, pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping RouteHandler) { on(.delete, pattern, handler) }

    public enum Match: Sendable {
        case found(RouteHandler, Parameters)
        /// The path exists for these methods only.
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    /// Resolves a method and raw (percent-encoded) path.
    public func match(method: HTTPMethod, path: String) -> Match {
        let raw = Router.segments(of: path)
        let decoded = raw.map { PercentDecoding.decode($0) }
        var values: [String] = []
        var fallback: RouteNode?
        if let route = root.find(decoded[...], method: method, values: &values, fallback: &fallback) {
            let pairs = zip(route.parameterNames, values).map { (name: $0, value: $1) }
            return .found(route.handler, Parameters(pairs))
        }
        if let fallback, !fallback.routes.isEmpty {
            return .methodNotAllowed(allowed: fallback.allowedMethods)
        }
        return .notFound
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        switch match(method: request.method, path: request.path) {
        case .found(let handler, let parameters):
            return await handler(request, parameters)
        case .methodNotAllowed(let allowed):
            return errorRenderer(.methodNotAllowed(allowed: allowed))
        case .notFound:
            return errorRenderer(.notFound)
        }
    }

    static func segments(of path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}
