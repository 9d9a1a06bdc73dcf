/// Liveness and readiness probes, outside `/api/v0` and without credentials.
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
        }
    }
}
