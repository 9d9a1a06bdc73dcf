import Basics
import API
import Foundation
import HTTP
import Logging

/// The HTTP transport for the API: puts every `Route` on the router, turns
/// `HTTPRequest` into `APIRequest` and `APIResponse` back, and logs each
/// request as one JSON line with its request id.
public final class APIServer: Sendable {
    let server: HTTPServer

    public var port: Int { server.localPort }

    /// Body limit: template content documents may be up to 1 MiB, plus JSON overhead.
    public static let maxBodySize = 2 * 1024 * 1024

    public static func start(services: Services, port: Int? = nil) throws -> APIServer {
        // The server's own errors (parse errors, limits, 408, 503, 404, 405) in the contract's shape.
        var router = Router(errorRenderer: APIError.render)
        for route in APIRoutes.all(services.apiContext()) {
            router.on(HTTPMethod(route.method), route.pattern) { request, parameters in
                var values: [String: String] = [:]
                for (name, value) in parameters { values[name] = value }
                let apiRequest = APIRequest(method: request.method.rawValue, path: request.path, parameters: values,
                                            query: request.query, headers: request.headers, body: request.body,
                                            requestId: request.requestID, rawQuery: request.rawQuery)
                let response = await route.respond(apiRequest)
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: response.contentType)
                for (name, value) in response.headers { headers.add(name: name, value: value) }
                return HTTPResponse(status: HTTPStatus(code: response.status), headers: headers, body: response.body)
            }
        }
        var configuration = HTTPServerConfiguration(host: services.configuration.host,
                                                    port: port ?? services.configuration.port)
        configuration.maxBodySize = maxBodySize
        configuration.errorRenderer = APIError.render
        // Handlers only await (the database runs on the pool's own threads), so
        // they may run on the loop thread and skip a hop through the task pool.
        configuration.runHandlersOnEventLoop = services.configuration.handlersOnEventLoop
        let logger = services.logger.with(("component", "http"))
        if logger.minimumLevel <= .info {
            configuration.accessLog = { entry in
                logger.info("request", ("requestId", .string(entry.requestID)), ("method", .string(entry.method)),
                            ("path", .string(entry.path)), ("status", .int(entry.status)),
                            ("ms", .double(Double(entry.duration.components.attoseconds) / 1e15
                                + Double(entry.duration.components.seconds) * 1000)))
            }
        }
        let server = HTTPServer(configuration: configuration, responder: router)
        try server.start()
        return APIServer(server: server)
    }

    init(server: HTTPServer) { self.server = server }

    /// Stops accepting, lets requests in flight finish, then returns.
    public func shutdown() async {
        server.shutdown()
        try? await server.run()
    }
}
