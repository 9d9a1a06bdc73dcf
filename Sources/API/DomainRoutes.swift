import Store

/// The domains operations.
enum DomainRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
    }
}
