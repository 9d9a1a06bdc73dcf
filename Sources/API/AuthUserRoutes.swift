import Store

/// The users, email addresses, phone numbers, sessions, sign-in and sign-up attempts operations.
enum AuthUserRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
    }
}
