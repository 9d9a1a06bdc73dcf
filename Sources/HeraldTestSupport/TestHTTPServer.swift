import HTTP

/// Runs an `HTTPServer` on 127.0.0.1 with a free port for the duration of a test.
///
///     try await TestHTTPServer.with(responder: router) { server in
///         let response = try await TestHTTPClient.request(port: server.localPort, path: "/healthz")
///     }
public enum TestHTTPServer {
    /// A configuration for tests: loopback, port 0, two loops.
    public static func configuration() -> HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = 2
        return configuration
    }

    /// Starts a server, runs `body`, then shuts the server down and waits for it to stop,
    /// also when `body` throws.
    public static func with<T: Sendable>(
        configuration: HTTPServerConfiguration = configuration(), responder: some HTTPResponder,
        _ body: (HTTPServer) async throws -> T
    ) async throws -> T {
        let server = HTTPServer(configuration: configuration, responder: responder)
        try server.start()
        do {
            let result = try await body(server)
            server.shutdown()
            try await server.run()
            return result
        } catch {
            server.shutdown()
            try await server.run()
            throw error
        }
    }
}
