import Store

/// The organizations, memberships, organization invitations, roles operations.
enum OrganizationRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
    }
}
