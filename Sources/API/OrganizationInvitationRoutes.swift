import Foundation
import JSON
import Store

/// Organization invitations: creating and resending one queues the
/// `organization-invitation` email in the same transaction (API.md §5).
enum OrganizationInvitationRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.owned("GET", "/auth/organizations/:organizationId/organization-invitations", .viewOrganizations, id: "organizationId", lookup: store.organizationTenant) { request, access, organizationId, _ in
            return .list(try await store.orgInvitationsPage(organizationId: organizationId, try request.pageRequest()))
        }

        routes.owned("GET", "/auth/organization-invitations/:id", .viewOrganizations, lookup: store.orgInvitationTenant) { request, access, id, tenantId in
            guard let json = try await store.orgInvitationJSON(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.on("POST", "/auth/organization-invitations") { request, access in
            var input = Validator(try request.jsonObject())
            let organizationId = input.string("organizationId", pattern: Format.isId)
            let email = input.string("email", max: 254, pattern: Format.isEmail, patternMessage: "must be an email address")
            let roleId = input.optionalString("roleId", pattern: Format.isId)
            let userId = input.optionalString("userId", pattern: Format.isId)
            // Herald's extension: the tenant's user who invites, named in the email.
            let inviterId = input.optionalString("inviterId", pattern: Format.isId)
            try input.check()
            let tenantId = try await access.owner(of: organizationId, .editOrganizations, lookup: store.organizationTenant)
            return .json(text: try await OrganizationRoutes.refusingForeignRows {
                try await store.orgCreateInvitation(tenantId: tenantId, organizationId: organizationId, email: email,
                                                 roleId: roleId, userId: userId, inviterId: inviterId,
                                                 sending(request, access, context))
            })
        }

        routes.owned("POST", "/auth/organization-invitations/:id/resend", .editOrganizations, lookup: store.orgInvitationTenant) { request, access, id, tenantId in
            let sent = try await OrganizationRoutes.refusingForeignRows {
                try await store.orgResendInvitation(id: id, tenantId: tenantId, sending(request, access, context))
            }
            guard sent else { throw APIError.notFound }
            return .success
        }

        routes.owned("PUT", "/auth/organization-invitations/:id", .editOrganizations, lookup: store.orgInvitationTenant) { request, access, id, tenantId in
            var input = Validator(try request.jsonObject())
            let roleId = input.nullableString("roleId", pattern: Format.isId)
            try input.check()
            let json = try await OrganizationRoutes.refusingForeignRows {
                try await store.orgUpdateInvitation(id: id, tenantId: tenantId, roleId: roleId)
            }
            guard let json else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.owned("DELETE", "/auth/organization-invitations/:id", .editOrganizations, lookup: store.orgInvitationTenant) { request, access, id, tenantId in
            guard let json = try await store.orgDeleteInvitation(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: json)
        }
    }

    static func sending(_ request: APIRequest, _ access: Access, _ context: APIContext) -> Store.OrganizationInvitationSending {
        var caller: String?
        if case .platformUser(let id) = access.principal { caller = id }
        return Store.OrganizationInvitationSending(callerPlatformUserId: caller, locale: locale(request.header("accept-language")),
                                       publicURL: context.publicURL)
    }

    /// The first language tag of `Accept-Language`, else `en`.
    static func locale(_ header: String?) -> String {
        guard let header else { return "en" }
        let first = header.split(separator: ",").first.map { $0.split(separator: ";").first.map(String.init) ?? "" } ?? ""
        let tag = first.trimmingCharacters(in: .whitespaces)
        guard !tag.isEmpty, tag != "*", tag.count <= 35,
              tag.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return "en" }
        return tag
    }
}
