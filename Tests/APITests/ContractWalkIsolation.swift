import Foundation
import HeraldTestSupport
import JSON
import Testing

/// One operation aimed at the first tenant's resource by someone else.
struct IsolationProbe {
    enum Caller { case tenantKeys, platformUser }
    let method: String
    let path: String
    let body: String?
    let caller: Caller
}

extension ContractWalkWorld {
    /// Every operation that names a resource, aimed at this world's resources.
    /// Tenant routes take the second tenant's keys; platform routes (`/tenants…`,
    /// `/user…`) a second platform user's bearer token.
    func isolationProbes(intruderTenantId: String) -> [IsolationProbe] {
        let t = tenant.id
        var probes: [IsolationProbe] = []
        func keys(_ method: String, _ path: String, _ body: String? = nil) {
            probes.append(IsolationProbe(method: method, path: "/api/v0" + path, body: body, caller: .tenantKeys))
        }
        func platform(_ method: String, _ path: String, _ body: String? = nil) {
            probes.append(IsolationProbe(method: method, path: "/api/v0" + path, body: body, caller: .platformUser))
        }

        // Tenants, billing, members, invitations, brand (platform).
        platform("POST", "/tenants/\(t)/rotate-secret-key")
        platform("GET", "/tenants/slug/\(slug)")
        platform("GET", "/tenants/\(t)")
        platform("PUT", "/tenants/\(t)", #"{"name":"Stolen"}"#)
        platform("DELETE", "/tenants/\(t)")
        platform("GET", "/tenants/\(t)/subscription")
        platform("POST", "/tenants/\(t)/subscription", #"{"planNickname":"free"}"#)
        platform("PATCH", "/tenants/\(t)/subscription", #"{"planNickname":"free"}"#)
        platform("GET", "/tenants/\(t)/customer")
        platform("GET", "/tenants/\(t)/upcoming-invoice")
        platform("PATCH", "/tenants/\(t)/payment-method", #"{"paymentMethodId":"pm_thief","last4":"0000","brand":"visa"}"#)
        platform("GET", "/tenants/\(t)/members")
        platform("PATCH", "/tenants/members/\(helperMemberId)", #"{"roleAdmin":true}"#)
        platform("DELETE", "/tenants/members/\(helperMemberId)")
        platform("POST", "/tenants/members/invite", #"{"tenantId":"\#(t)","email":"thief@example.com","roleAdmin":true}"#)
        platform("GET", "/tenants/\(t)/invitations")
        platform("DELETE", "/tenants/invitations/\(pendingInvitationId)")
        platform("PATCH", "/tenants/invitations/\(pendingInvitationId)", #"{"roleAdmin":true}"#)
        platform("GET", "/tenants/\(t)/brand")
        platform("PUT", "/tenants/\(t)/brand", ##"{"primary":"#000000"}"##)
        platform("GET", "/tenants/pkey/\(publicKey)")
        platform("POST", "/user/invitations/\(pendingInvitationId)/accept")
        platform("POST", "/user/invitations/\(pendingInvitationId)/decline")

        // Domains and stats.
        keys("GET", "/domains?tenantId=\(t)")
        keys("POST", "/domains", #"{"tenantId":"\#(t)","name":"stolen.example.com"}"#)
        keys("GET", "/domains/\(domainId)")
        keys("DELETE", "/domains/\(domainId)")
        keys("POST", "/domains/\(domainId)/verify")
        keys("POST", "/domains/\(domainId)/primary")
        for path in ["/auth/stats/recent-sign-ups", "/auth/stats/recent-sign-ins", "/auth/stats/sign-ups-by-day",
                     "/auth/stats/sessions-by-day", "/auth/stats", "/media/stats/uploads-by-day",
                     "/media/stats/upload-size-by-day", "/media/stats", "/notifications/stats/day", "/notifications/stats"] {
            keys("GET", "\(path)?tenantId=\(t)&\(Self.range)")
        }

        // Users, organizations, memberships, invitations, roles, sessions.
        keys("GET", "/auth/users?tenantId=\(t)")
        keys("POST", "/auth/users", #"{"tenantId":"\#(t)","name":"Intruder"}"#)
        keys("GET", "/auth/users/\(userId)")
        keys("PUT", "/auth/users/\(userId)", #"{"name":"Stolen"}"#)
        keys("DELETE", "/auth/users/\(userId)")
        keys("PUT", "/auth/users/\(userId)/change-password", #"{"password":"stolen password"}"#)
        keys("PUT", "/auth/users/\(userId)/suspend")
        keys("PUT", "/auth/users/\(userId)/unsuspend")
        keys("GET", "/tenants/\(t)/auth/organizations")
        keys("GET", "/auth/organizations/\(organizationId)")
        keys("PUT", "/auth/organizations/\(organizationId)", #"{"name":"Stolen"}"#)
        keys("DELETE", "/auth/organizations/\(organizationId)")
        keys("POST", "/auth/organizations", #"{"tenantId":"\#(t)","name":"Stolen"}"#)
        keys("GET", "/organizations/\(organizationId)/auth/organization-members")
        keys("GET", "/auth/organization-members/\(membershipId)")
        keys("PUT", "/auth/organization-members/\(membershipId)", #"{"publicMeta":{"stolen":true}}"#)
        keys("DELETE", "/auth/organization-members/\(membershipId)")
        keys("POST", "/auth/organization-members", #"{"organizationId":"\#(organizationId)","userId":"\#(userId)"}"#)
        keys("GET", "/auth/organizations/\(organizationId)/organization-invitations")
        keys("GET", "/auth/organization-invitations/\(orgInvitationId)")
        keys("PUT", "/auth/organization-invitations/\(orgInvitationId)", #"{"roleId":"\#(roleId)"}"#)
        keys("DELETE", "/auth/organization-invitations/\(orgInvitationId)")
        keys("POST", "/auth/organization-invitations", #"{"organizationId":"\#(organizationId)","email":"thief@example.com"}"#)
        keys("POST", "/auth/organization-invitations/\(orgInvitationId)/resend")
        keys("GET", "/auth/tenants/\(t)/roles")
        keys("GET", "/auth/roles/\(roleId)")
        keys("PUT", "/auth/roles/\(roleId)", #"{"tenantId":"\#(t)","name":"Stolen"}"#)
        keys("DELETE", "/auth/roles/\(roleId)")
        keys("POST", "/auth/roles", #"{"tenantId":"\#(t)","name":"Stolen"}"#)
        keys("GET", "/tenants/\(t)/auth/sessions")
        keys("GET", "/auth/users/\(userId)/sessions")
        keys("GET", "/auth/sessions/\(sessionId)")
        keys("DELETE", "/auth/sessions/\(sessionId)")

        // Email addresses and phone numbers: the unverified, non-primary first ones.
        for (kind, id, field) in [("email-addresses", firstEmailId, #""email":"thief@example.com""#),
                                  ("phone-numbers", firstPhoneId, #""phone":"+14155550199""#)] {
            keys("GET", "/tenants/\(t)/auth/\(kind)")
            keys("GET", "/auth/users/\(userId)/\(kind)")
            keys("GET", "/auth/\(kind)/\(id)")
            keys("POST", "/auth/\(kind)", #"{"tenantId":"\#(t)","userId":"\#(userId)",\#(field)}"#)
            keys("DELETE", "/auth/\(kind)?id=\(id)")
            keys("POST", "/auth/\(kind)/make-primary", #"{"id":"\#(id)"}"#)
            keys("POST", "/auth/\(kind)/verify", #"{"id":"\#(id)"}"#)
            keys("POST", "/auth/\(kind)/prepare-verification", #"{"id":"\#(id)"}"#)
        }
        keys("PUT", "/auth/email-addresses", #"{"id":"\#(firstEmailId)","email":"thief@example.com"}"#)

        // Identity, attempts, tenant settings.
        keys("GET", "/auth/tenant-social-providers?tenantId=\(t)")
        keys("POST", "/auth/tenant-social-providers", #"{"tenantId":"\#(t)","providerKey":"google","enabled":true}"#)
        keys("GET", "/auth/tenant-social-providers/\(providerId)/secret")
        keys("GET", "/auth/tenant-social-providers/\(providerId)")
        keys("PUT", "/auth/tenant-social-providers/\(providerId)", #"{"enabled":true,"clientSecret":"stolen"}"#)
        keys("DELETE", "/auth/tenant-social-providers/\(providerId)")
        keys("GET", "/auth/jwk-certificates?tenantId=\(t)")
        for (kind, id) in [("sign-ins", signInId), ("sign-ups", signUpId)] {
            keys("GET", "/auth/\(kind)?tenantId=\(t)")
            keys("GET", "/auth/\(kind)/\(id)")
            keys("DELETE", "/auth/\(kind)/\(id)")
        }
        keys("GET", "/auth/tenants/\(t)/env")
        keys("GET", "/auth/tenants/\(t)")
        keys("PUT", "/auth/tenants/\(t)", #"{"nameRequired":true}"#)
        keys("PUT", "/auth/tenants/\(t)/session", #"{"sessionMaximumLifetime":60}"#)

        // Media.
        keys("GET", "/tenants/\(t)/media/uploads")
        keys("GET", "/media/uploads/\(uploadId)")
        keys("DELETE", "/media/uploads/\(uploadId)")
        keys("POST", "/media/uploads", #"{"tenantId":"\#(t)","access":"private","originalFilename":"x.png","mime":"image/png","size":10}"#)
        keys("GET", "/tenants/\(t)/media/transformations")
        keys("GET", "/media/transformations/\(transformationId)")
        keys("PATCH", "/media/transformations/\(transformationId)", #"{"name":"stolen"}"#)
        keys("DELETE", "/media/transformations/\(transformationId)")
        keys("POST", "/media/transformations", MediaAPITests.transformation(t, name: "stolen"))
        keys("GET", "/tenants/\(t)/media/files")
        keys("GET", "/media/files/\(fileId)")
        keys("DELETE", "/files/\(fileId)")

        // Templates, channels, sends, notifications.
        keys("GET", "/tenants/\(t)/notifications/templates")
        keys("POST", "/tenants/\(t)/notifications/templates", #"{"type":"inapp","name":"stolen","body":{"text":"x"}}"#)
        keys("GET", "/notifications/templates/\(templateId)")
        keys("PUT", "/notifications/templates/\(templateId)", #"{"name":"stolen"}"#)
        keys("DELETE", "/notifications/templates/\(templateId)")
        keys("POST", "/notifications/templates", #"{"tenantId":"\#(t)","type":"inapp","name":"stolen","body":{"text":"x"}}"#)
        keys("GET", "/notifications/templates/\(templateId)/content")
        keys("PUT", "/notifications/templates/\(templateId)/content", #"{"assets":[],"pages":[],"styles":[]}"#)
        keys("POST", "/notifications/test", #"{"templateId":"\#(templateId)","variables":{},"input":{"to":["x"]},"dryRun":true}"#)
        keys("POST", "/notifications/templates/clone-all-to-tenant", #"{"fromTenantId":"\#(t)","toTenantId":"\#(intruderTenantId)"}"#)
        keys("GET", "/notifications/templates/\(templateId)/versions")
        keys("POST", "/notifications/templates/\(templateId)/versions/1/restore")
        keys("POST", "/notifications/templates/preview", #"{"tenantId":"\#(t)","type":"inapp","body":{"text":"x"}}"#)
        keys("GET", "/tenants/\(t)/notifications/channels")
        keys("GET", "/notifications/channels/\(channelId)")
        keys("PUT", "/notifications/channels/\(channelId)", #"{"name":"stolen"}"#)
        keys("DELETE", "/notifications/channels/\(channelId)")
        keys("POST", "/notifications/channels",
             #"{"tenantId":"\#(t)","name":"Stolen","key":"stolen","type":"inapp","provider":"inapp_pxyz","providerSettings":{}}"#)
        keys("POST", "/notifications/send", #"{"tenantId":"\#(t)","template":"hello","channel":"inbox","input":{"to":["x"]}}"#)
        for log in ["emails", "sms", "push", "inapp", "webhooks"] { keys("GET", "/tenants/\(t)/notifications/\(log)") }
        keys("GET", "/notifications/\(notificationId)")
        keys("POST", "/notifications/\(notificationId)/cancel")
        keys("POST", "/notifications/\(notificationId)/retry")
        return probes
    }
}

extension OpenAPIContract {
    /// The contract's operations that name a resource: a path parameter, or an
    /// id or tenant id in the query or the request body.
    func resourceNamingOperationIds() -> Set<String> {
        let names: Set = ["id", "tenantId", "userId", "organizationId", "templateId", "channelId", "fromTenantId", "toTenantId"]
        var out: Set<String> = []
        for operation in operations {
            let item = document["paths"]?[operation.path]?[operation.method.lowercased()]
            let query = (item?["parameters"]?.arrayValue ?? []).compactMap { resolve($0)["name"]?.stringValue }
            let schema = resolve(resolve(item?["requestBody"] ?? .null)["content"]?["application/json"]?["schema"] ?? .null)
            let body = schema["properties"]?.objectValue.map { Array($0.keys) } ?? []
            if operation.path.contains("{") || !names.isDisjoint(with: query) || !names.isDisjoint(with: body) {
                out.insert(operation.operationId)
            }
        }
        return out
    }

    /// Follows local `$ref`s (`#/components/...`).
    private func resolve(_ value: JSONValue) -> JSONValue {
        var value = value
        while let ref = value["$ref"]?.stringValue, ref.hasPrefix("#/") {
            var target: JSONValue? = document
            for key in ref.dropFirst(2).split(separator: "/") { target = target?[String(key)] }
            value = target ?? .null
        }
        return value
    }
}
