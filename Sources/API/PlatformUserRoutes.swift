import Store

/// The current platform user and the invitations addressed to them.
enum PlatformUserRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.on("GET", "/user/whoami") { _, access in
            guard let json = try await store.platformUserJSON(id: try access.platformUser()) else {
                throw APIError.unauthorized
            }
            return .envelope(json)
        }

        // Open invitations to the user's email, each with its tenant's summary.
        routes.on("GET", "/user/invitations") { _, access in
            let items = try await store.userInvitationsJSON(platformUserId: try access.platformUser())
            return .envelope("[" + items.joined(separator: ",") + "]")
        }

        // Only the addressee may answer; an invitation to another address is not found.
        for (path, accept) in [("accept", true), ("decline", false)] {
            routes.on("POST", "/user/invitations/:id/\(path)") { request, access in
                let id = try request.id()
                switch try await store.answerInvitation(id: id, platformUserId: try access.platformUser(), accept: accept) {
                case .done: return .success
                case .notFound: throw APIError.notFound
                }
            }
        }
    }
}
