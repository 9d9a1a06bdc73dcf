import Store

/// The tenant members and invitations, the current user's invitations, billing operations.
enum TenantMemberRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
    }
}
