import Store

/// The auth and media stats operations.
enum StatsRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
    }
}
