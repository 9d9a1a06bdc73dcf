import Store

/// The current platform user.
enum UserRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        routes.on("GET", "/user/whoami") { _, access in
            guard let json = try await context.store.platformUserJSON(id: try access.platformUser()) else {
                throw APIError.unauthorized
            }
            return .envelope(json)
        }
    }
}
