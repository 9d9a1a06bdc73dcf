/// Turns a request into a response. Called on the Swift concurrency pool, one request at a time
/// per connection; it may suspend freely but should not block a thread.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) async -> HTTPResponse
}

/// A responder made from a closure, for tests and small servers.
public struct ClosureResponder: HTTPResponder {
    private let handler: @Sendable (HTTPRequest) async -> HTTPResponse

    public init(_ handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        self.handler = handler
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        await handler(request)
    }
}
