import Store

/// The current platform user and the invitations addressed to them.
enum PlatformUserRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        routes.on("GET", "/user/whoami") { _, access in
            guard let json = try await context.store.platformUserJSON(id: try access.platformUser()) else {
                throw APIError.unauthorized
            }
            return .envelope(json)
        }
    }
}
