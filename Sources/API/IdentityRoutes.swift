import Store

/// The social providers and JWK certificates operations.
enum IdentityRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
    }
}
