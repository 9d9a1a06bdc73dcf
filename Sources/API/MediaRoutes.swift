import Store

/// The uploads, files and transformations operations.
enum MediaRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
    }
}
