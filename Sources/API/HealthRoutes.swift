/// Probes, metrics and the served spec: no credentials.
enum HealthRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        // Served at the root for probes and load balancers, and under /api/v0 as API.md lists them.
        for prefix in ["", APIRoutes.basePath] {
            routes.open("GET", prefix + "/healthz") { _ in
                APIResponse(body: Array(#"{"status":"ok"}"#.utf8))
            }
            routes.open("GET", prefix + "/readyz") { _ in
                if await context.readiness() { return APIResponse(body: Array(#"{"status":"ready"}"#.utf8)) }
                return APIResponse(status: 503, body: Array(#"{"status":"unavailable"}"#.utf8))
            }
            routes.open("GET", prefix + "/metrics") { _ in
                APIResponse(body: Array(await context.metrics.render().utf8), contentType: "text/plain; version=0.0.4")
            }
            routes.open("GET", prefix + "/openapi.json") { _ in
                APIResponse(body: OpenAPIDocument.served)
            }
        }
    }
}
