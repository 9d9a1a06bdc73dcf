import Crypto
import Foundation
import HeraldTestSupport
import JSON
import Postgres
import Testing

/// The first tenant's resources, made through the API by the walk's first
/// phase (creates, reads, updates); the isolation loop aims at them.
struct ContractWalkWorld {
    var owner: Credential
    var tenant: TestTenant
    var slug = "", publicKey = ""
    var spareTenantId = "", helper: Credential, helperMemberId = "", pendingInvitationId = ""
    var userId = "", firstEmailId = "", secondEmailId = "", firstPhoneId = "", secondPhoneId = ""
    var roleId = "", organizationId = "", membershipId = "", orgInvitationId = ""
    let sessionId = Identifier.make(), signInId = Identifier.make(), signUpId = Identifier.make()
    var providerId = "", domainId = "", secondDomainId = ""
    var uploadId = "", fileId = "", spareUploadId = "", transformationId = ""
    var channelId = "", spareChannelId = "", templateId = "", spareTemplateId = "", notificationId = ""

    static let range = "filterRangeType=current_thirty_days"

    /// Phase 1: every create, read and update, in dependency order.
    static func build(_ w: ContractWalker) async throws -> ContractWalkWorld {
        let api = w.api
        // The served spec first: §1 operations are then checked against it.
        let spec = try await w.call("GET", "/openapi.json", nil)
        w.served = try OpenAPIContract(document: try spec.json())
        let owner = try await api.token(email: "walk-owner@example.com")
        let tenantId = try await w.id("POST", "/api/v0/tenants", owner,
                                      json: #"{"name":"Walk Corp","slug":"walk-corp","environment":"development"}"#)
        let env = try await w.call("GET", "/api/v0/auth/tenants/\(tenantId)/env", owner).json()
        let keys = Credential.keys(public: env["PXYZ_PUBLIC_KEY"]?.stringValue ?? "", secret: env["PXYZ_SECRET_KEY"]?.stringValue ?? "")
        var world = ContractWalkWorld(owner: owner, tenant: TestTenant(id: tenantId, keys: keys),
                                      helper: try await api.token(email: "walk-helper@example.com"))
        world.spareTenantId = try await w.id("POST", "/api/v0/tenants", owner,
                                             json: #"{"name":"Spare Corp","environment":"staging"}"#)
        try await world.platform(w)
        try await world.people(w)
        try await world.organizations(w)
        try await world.configuration(w)
        try await world.media(w)
        try await world.notifications(w)
        return world
    }

    /// Tenants, settings, brand, billing, tenant members and invitations.
    mutating func platform(_ w: ContractWalker) async throws {
        let t = tenant.id, keys = tenant.keys
        let got = try await w.call("GET", "/api/v0/tenants/\(t)", owner).json()
        slug = got["slug"]?.stringValue ?? ""
        publicKey = got["publicKey"]?.stringValue ?? ""
        try await w.call("GET", "/api/v0/tenants", owner)
        try await w.call("GET", "/api/v0/tenants/slug/\(slug)", owner)
        try await w.call("GET", "/api/v0/tenants/pkey/\(publicKey)", owner)
        try await w.call("PUT", "/api/v0/tenants/\(t)", owner, json: #"{"name":"Walk Corporation"}"#)
        try await w.call("GET", "/api/v0/auth/tenants/\(t)", keys)
        try await w.call("PUT", "/api/v0/auth/tenants/\(t)", keys, json: #"{"nameRequired":false,"homeUri":"https://walk.test"}"#)
        try await w.call("PUT", "/api/v0/auth/tenants/\(t)/session", keys, json: #"{"sessionMaximumLifetime":3600}"#)
        try await w.call("GET", "/api/v0/tenants/\(t)/brand", owner)
        try await w.call("PUT", "/api/v0/tenants/\(t)/brand", owner, json: ##"{"primary":"#123456"}"##)
        try await w.call("GET", "/api/v0/user/whoami", owner)
        try await w.call("GET", "/api/v0/tenants/\(t)/subscription", owner)
        try await w.call("POST", "/api/v0/tenants/\(t)/subscription", owner, json: #"{"planNickname":"pro"}"#)
        try await w.call("PATCH", "/api/v0/tenants/\(t)/subscription", owner, json: #"{"planNickname":"enterprise"}"#)
        try await w.call("GET", "/api/v0/tenants/\(t)/customer", owner)
        try await w.call("GET", "/api/v0/tenants/\(t)/upcoming-invoice", owner)
        try await w.call("PATCH", "/api/v0/tenants/\(t)/payment-method", owner,
                         json: #"{"paymentMethodId":"pm_walk","last4":"4242","brand":"visa"}"#)

        // The helper accepts, someone declines, one invitation stays pending.
        let invitation = try await w.id("POST", "/api/v0/tenants/members/invite", owner,
                                        json: #"{"tenantId":"\#(t)","email":"walk-helper@example.com","roleViewUsers":true}"#)
        try await w.call("GET", "/api/v0/tenants/\(t)/invitations", owner)
        try await w.call("PATCH", "/api/v0/tenants/invitations/\(invitation)", owner, json: #"{"roleViewBilling":true}"#)
        try await w.call("GET", "/api/v0/user/invitations", helper)
        try await w.call("POST", "/api/v0/user/invitations/\(invitation)/accept", helper)
        let decliner = try await w.api.token(email: "walk-decliner@example.com")
        let declined = try await w.id("POST", "/api/v0/tenants/members/invite", owner,
                                      json: #"{"tenantId":"\#(t)","email":"walk-decliner@example.com"}"#)
        try await w.call("POST", "/api/v0/user/invitations/\(declined)/decline", decliner)
        pendingInvitationId = try await w.id("POST", "/api/v0/tenants/members/invite", owner,
                                             json: #"{"tenantId":"\#(t)","email":"walk-pending@example.com"}"#)
        guard case .bearer(_, let helperUserId) = helper else { return }
        let members = try await w.call("GET", "/api/v0/tenants/\(t)/members", owner).json()
        helperMemberId = try #require(members["data"]?.arrayValue?
            .first { $0["userId"]?.stringValue == helperUserId }?["id"]?.stringValue)
        try await w.call("PATCH", "/api/v0/tenants/members/\(helperMemberId)", owner, json: #"{"roleEditUsers":true}"#)
    }

    /// Roles, users, email addresses, phone numbers, sessions and attempts.
    mutating func people(_ w: ContractWalker) async throws {
        let t = tenant.id, keys = tenant.keys
        roleId = try await w.id("POST", "/api/v0/auth/roles", keys, json: #"{"tenantId":"\#(t)","name":"Editor"}"#)
        try await w.call("GET", "/api/v0/auth/tenants/\(t)/roles", keys)
        try await w.call("GET", "/api/v0/auth/roles/\(roleId)", keys)
        try await w.call("PUT", "/api/v0/auth/roles/\(roleId)", keys,
                         json: #"{"tenantId":"\#(t)","name":"Editors","description":"Edit things","permissions":["docs:write"]}"#)

        let user = try await w.call("POST", "/api/v0/auth/users", keys, json: """
            {"tenantId":"\(t)","name":"Walker","email":"walker@example.com","phone":"+14155550100",
             "username":"walker","password":"correct horse"}
            """).json()
        userId = try #require(user["id"]?.stringValue)
        firstEmailId = try #require(user["emailAddresses"]?.arrayValue?.first?["id"]?.stringValue)
        firstPhoneId = try #require(user["phoneNumbers"]?.arrayValue?.first?["id"]?.stringValue)
        try await w.call("GET", "/api/v0/auth/users?tenantId=\(t)", keys)
        try await w.call("GET", "/api/v0/auth/users/\(userId)", keys)
        try await w.call("PUT", "/api/v0/auth/users/\(userId)", keys, json: #"{"name":"Walker Two","publicMeta":{"k":1}}"#)
        try await w.call("PUT", "/api/v0/auth/users/\(userId)/change-password", keys, json: #"{"password":"battery staple"}"#)
        try await w.call("PUT", "/api/v0/auth/users/\(userId)/suspend", keys)
        try await w.call("PUT", "/api/v0/auth/users/\(userId)/unsuspend", keys)

        // A second address and number become verified primaries; the first ones stay unverified.
        for kind in ["email-addresses", "phone-numbers"] {
            let field = kind == "email-addresses" ? #""email":"walker2@example.com""# : #""phone":"+14155550101""#
            let id = try await w.id("POST", "/api/v0/auth/\(kind)", keys, json: #"{"tenantId":"\#(t)","userId":"\#(userId)",\#(field)}"#)
            try await w.call("GET", "/api/v0/tenants/\(t)/auth/\(kind)", keys)
            try await w.call("GET", "/api/v0/auth/users/\(userId)/\(kind)", keys)
            try await w.call("GET", "/api/v0/auth/\(kind)/\(id)", keys)
            if kind == "email-addresses" {
                try await w.call("PUT", "/api/v0/auth/email-addresses", keys, json: #"{"id":"\#(id)","email":"walker3@example.com"}"#)
                secondEmailId = id
            } else {
                secondPhoneId = id
            }
            // The code sent on creation holds the address's window; the walk does not wait it out.
            try await w.api.ageRateLimits(by: 31)
            try await w.call("POST", "/api/v0/auth/\(kind)/prepare-verification", keys, json: #"{"id":"\#(id)"}"#)
            try await w.call("POST", "/api/v0/auth/\(kind)/verify", keys, json: #"{"id":"\#(id)"}"#)
            try await w.call("POST", "/api/v0/auth/\(kind)/make-primary", keys, json: #"{"id":"\#(id)"}"#)
        }

        // Sessions and attempts are written by sign-in flows, not by this API: rows go in directly.
        let ids = [sessionId, signInId, signUpId]
        try await w.api.pool.withTransaction { [t, userId] connection in
            _ = try connection.query("""
                INSERT INTO sign_in_attempts (id, tenant_id, user_id, ip_address, user_agent, identifier, status, strategy)
                VALUES ($1, $2, $3, '203.0.113.9', 'Mozilla/5.0', 'walker@example.com', 'complete', 'email_code')
                """, [ids[1], t, userId])
            _ = try connection.query("INSERT INTO sign_up_attempts (id, tenant_id, user_id) VALUES ($1, $2, $3)", [ids[2], t, userId])
            _ = try connection.query("""
                INSERT INTO sessions (id, tenant_id, user_id, browser, os, ua, ip, sign_in_attempt_id, sign_up_attempt_id, expires_at)
                VALUES ($1, $2, $3, 'Firefox', 'Linux', 'Mozilla/5.0', '203.0.113.9', $4, $5, now() + interval '7 days')
                """, [ids[0], t, userId, ids[1], ids[2]])
        }
        try await w.call("GET", "/api/v0/tenants/\(t)/auth/sessions", keys)
        try await w.call("GET", "/api/v0/auth/users/\(userId)/sessions", keys)
        try await w.call("GET", "/api/v0/auth/sessions/\(sessionId)", keys)
        try await w.call("GET", "/api/v0/auth/sign-ins?tenantId=\(t)", keys)
        try await w.call("GET", "/api/v0/auth/sign-ins/\(signInId)", keys)
        try await w.call("GET", "/api/v0/auth/sign-ups?tenantId=\(t)", keys)
        try await w.call("GET", "/api/v0/auth/sign-ups/\(signUpId)", keys)
        for path in ["", "/recent-sign-ups", "/recent-sign-ins", "/sign-ups-by-day", "/sessions-by-day"] {
            try await w.call("GET", "/api/v0/auth/stats\(path)?tenantId=\(t)&\(Self.range)", keys)
        }
    }

    /// Organizations, memberships and organization invitations.
    mutating func organizations(_ w: ContractWalker) async throws {
        let t = tenant.id, keys = tenant.keys
        organizationId = try await w.id("POST", "/api/v0/auth/organizations", keys,
                                        json: #"{"tenantId":"\#(t)","name":"Walkers","slug":"walkers"}"#)
        try await w.call("GET", "/api/v0/tenants/\(t)/auth/organizations", keys)
        try await w.call("GET", "/api/v0/auth/organizations/\(organizationId)", keys)
        try await w.call("PUT", "/api/v0/auth/organizations/\(organizationId)", keys, json: #"{"name":"Walkers Inc"}"#)
        membershipId = try await w.id("POST", "/api/v0/auth/organization-members", keys,
                                      json: #"{"organizationId":"\#(organizationId)","userId":"\#(userId)","roleId":"\#(roleId)"}"#)
        try await w.call("GET", "/api/v0/organizations/\(organizationId)/auth/organization-members", keys)
        try await w.call("GET", "/api/v0/auth/organization-members/\(membershipId)", keys)
        try await w.call("PUT", "/api/v0/auth/organization-members/\(membershipId)", keys, json: #"{"publicMeta":{"seat":1}}"#)
        orgInvitationId = try await w.id("POST", "/api/v0/auth/organization-invitations", keys,
                                         json: #"{"organizationId":"\#(organizationId)","email":"guest@example.com","roleId":"\#(roleId)"}"#)
        try await w.call("GET", "/api/v0/auth/organizations/\(organizationId)/organization-invitations", keys)
        try await w.call("GET", "/api/v0/auth/organization-invitations/\(orgInvitationId)", keys)
        try await w.call("PUT", "/api/v0/auth/organization-invitations/\(orgInvitationId)", keys, json: #"{"roleId":null}"#)
        // The invitation was just sent: past the address's rate-limit interval, a resend goes out.
        try await w.api.ageRateLimits(by: 31)
        try await w.call("POST", "/api/v0/auth/organization-invitations/\(orgInvitationId)/resend", keys)
    }

    /// Social providers, JWK certificates and domains (verified against the test DNS server).
    mutating func configuration(_ w: ContractWalker) async throws {
        let t = tenant.id, keys = tenant.keys
        providerId = try await w.id("POST", "/api/v0/auth/tenant-social-providers", keys, json: """
            {"tenantId":"\(t)","providerKey":"github","enabled":true,"useCustomCredentials":true,
             "clientId":"Iv1.walk","clientSecret":"walk-secret","redirectUri":"https://walk.test/cb"}
            """)
        try await w.call("GET", "/api/v0/auth/tenant-social-providers?tenantId=\(t)", keys)
        try await w.call("GET", "/api/v0/auth/tenant-social-providers/\(providerId)", keys)
        try await w.call("GET", "/api/v0/auth/tenant-social-providers/\(providerId)/secret", keys)
        try await w.call("PUT", "/api/v0/auth/tenant-social-providers/\(providerId)", keys, json: #"{"enabled":false}"#)
        try await w.call("GET", "/api/v0/auth/jwk-certificates?tenantId=\(t)", keys)

        let dns = TestDNSServer.shared
        let name = "walk-\(UUID().uuidString.prefix(8).lowercased()).example.com"
        let domain = try await w.call("POST", "/api/v0/domains", keys, json: #"{"tenantId":"\#(t)","name":"\#(name)"}"#).json()
        domainId = try #require(domain["id"]?.stringValue)
        dns.set("_herald-challenge.\(name)", [domain["verificationRecordValue"]?.stringValue ?? ""])
        try await w.call("GET", "/api/v0/domains?tenantId=\(t)", keys)
        try await w.call("GET", "/api/v0/domains/\(domainId)", keys)
        let verified = try await w.call("POST", "/api/v0/domains/\(domainId)/verify", keys)
        #expect(try verified.json()["verified"] == true, "\(verified.bodyString)")
        secondDomainId = try await w.id("POST", "/api/v0/domains", keys, json: #"{"tenantId":"\#(t)","name":"www.\#(name)"}"#)
        try await w.call("POST", "/api/v0/domains/\(secondDomainId)/primary", keys)
    }

    /// Uploads with their bytes, files, transformations and media stats.
    mutating func media(_ w: ContractWalker) async throws {
        let t = tenant.id, keys = tenant.keys
        var targets: [String] = []
        for name in ["dot.png", "spare.png"] {
            let created = try await w.call("POST", "/api/v0/media/uploads", keys, json: """
                {"tenantId":"\(t)","access":"private","originalFilename":"\(name)","mime":"image/png","size":\(MediaAPITests.png.count)}
                """).json()
            let url = try #require(URLComponents(string: created["uploadUrl"]?.stringValue ?? ""))
            targets.append(url.path + "?" + (url.percentEncodedQuery ?? ""))
            if name == "dot.png" { uploadId = created["id"]?.stringValue ?? "" } else { spareUploadId = created["id"]?.stringValue ?? "" }
        }
        // Herald's own upload URL takes the bytes (not an operation of either list).
        let received = try await MediaAPITests.put(w.api, targets[0], MediaAPITests.png)
        #expect(received.status == 200, "upload content: \(received.bodyString)")
        fileId = try #require(try received.json()["id"]?.stringValue)
        try await w.call("GET", "/api/v0/tenants/\(t)/media/uploads", keys)
        try await w.call("GET", "/api/v0/media/uploads/\(uploadId)", keys)
        try await w.call("GET", "/api/v0/tenants/\(t)/media/files", keys)
        try await w.call("GET", "/api/v0/media/files/\(fileId)", keys)
        transformationId = try await w.id("POST", "/api/v0/media/transformations", keys, json: MediaAPITests.transformation(t))
        try await w.call("GET", "/api/v0/tenants/\(t)/media/transformations", keys)
        try await w.call("GET", "/api/v0/media/transformations/\(transformationId)", keys)
        try await w.call("PATCH", "/api/v0/media/transformations/\(transformationId)", keys, json: #"{"outputQuality":60}"#)
        for path in ["", "/uploads-by-day", "/upload-size-by-day"] {
            try await w.call("GET", "/api/v0/media/stats\(path)?tenantId=\(t)&\(Self.range)", keys)
        }
    }

    /// Channels, templates (versions, preview, test, clone), sends, logs, operator actions, stats, service routes.
    mutating func notifications(_ w: ContractWalker) async throws {
        let t = tenant.id, keys = tenant.keys
        channelId = try await w.id("POST", "/api/v0/notifications/channels", keys, json: """
            {"tenantId":"\(t)","name":"Inbox","key":"inbox","type":"inapp","provider":"inapp_pxyz","providerSettings":{}}
            """)
        spareChannelId = try await w.id("POST", "/api/v0/notifications/channels", keys, json: """
            {"tenantId":"\(t)","name":"Hooks","key":"hooks","type":"webhook","provider":"webhook",
             "providerSettings":{"url":"https://walk.test/hook","secret":"whsec_walk"}}
            """)
        try await w.call("GET", "/api/v0/tenants/\(t)/notifications/channels", keys)
        try await w.call("GET", "/api/v0/notifications/channels/\(channelId)", keys)
        try await w.call("PUT", "/api/v0/notifications/channels/\(spareChannelId)", keys, json: #"{"name":"Hooks 2"}"#)

        templateId = try await w.id("POST", "/api/v0/notifications/templates", keys,
                                    json: #"{"tenantId":"\#(t)","type":"inapp","name":"hello","body":{"text":"Hello {{name}}"}}"#)
        // The pxyz client's create, under the tenant's path (README "Compatibility").
        spareTemplateId = try await w.id("POST", "/api/v0/tenants/\(t)/notifications/templates", keys,
                                         json: #"{"type":"inapp","name":"bye","body":{"text":"Bye"}}"#)
        try await w.call("GET", "/api/v0/tenants/\(t)/notifications/templates", keys)
        try await w.call("GET", "/api/v0/notifications/templates/\(templateId)", keys)
        try await w.call("PUT", "/api/v0/notifications/templates/\(templateId)", keys, json: #"{"body":{"text":"Hi {{name}}"}}"#)
        try await w.call("GET", "/api/v0/notifications/templates/\(templateId)/content", keys)
        try await w.call("PUT", "/api/v0/notifications/templates/\(templateId)/content", keys,
                         json: #"{"assets":[],"pages":[{"id":"p1"}],"styles":[]}"#)
        try await w.call("GET", "/api/v0/notifications/templates/\(templateId)/versions", keys)
        try await w.call("POST", "/api/v0/notifications/templates/\(templateId)/versions/1/restore", keys)
        try await w.call("POST", "/api/v0/notifications/templates/preview", keys,
                         json: #"{"tenantId":"\#(t)","type":"inapp","body":{"text":"Hi {{name}}"},"variables":{"name":"Ann"}}"#)
        try await w.call("POST", "/api/v0/notifications/test", keys, json: """
            {"templateId":"\(templateId)","channelId":"\(channelId)","variables":{"name":"Ann"},"input":{"to":["user_1"]}}
            """)
        try await w.call("POST", "/api/v0/notifications/templates/clone-all-to-tenant", owner,
                         json: #"{"fromTenantId":"\#(t)","toTenantId":"\#(spareTenantId)"}"#)

        let sent = try await w.call("POST", "/api/v0/notifications/send", keys, json: """
            {"tenantId":"\(t)","template":"hello","channel":"inbox","variables":{"name":"Ann"},
             "input":{"to":["user_1"],"scheduledAt":"2099-01-01T00:00:00.000Z"}}
            """)
        let location = try #require(sent.headers["location"], "send answers a Location")
        notificationId = String(location.split(separator: "/").last ?? "")
        try await w.call("GET", "/api/v0/notifications/\(notificationId)", keys)
        try await w.call("POST", "/api/v0/notifications/\(notificationId)/cancel", keys)
        try await w.call("POST", "/api/v0/notifications/\(notificationId)/retry", keys)
        for log in ["emails", "sms", "push", "inapp", "webhooks"] {
            try await w.call("GET", "/api/v0/tenants/\(t)/notifications/\(log)", keys)
        }
        try await w.call("GET", "/api/v0/notifications/stats?tenantId=\(t)&\(Self.range)", keys)
        try await w.call("GET", "/api/v0/notifications/stats/day?tenantId=\(t)&\(Self.range)", keys)

        for path in ["/healthz", "/readyz", "/metrics"] { try await w.call("GET", path, nil) }
    }

    /// Phase 2: every delete, dependents first.
    func deleteAll(_ w: ContractWalker) async throws {
        let keys = tenant.keys
        try await w.call("DELETE", "/api/v0/auth/email-addresses?id=\(firstEmailId)", keys)
        try await w.call("DELETE", "/api/v0/auth/phone-numbers?id=\(firstPhoneId)", keys)
        for path in ["sessions/\(sessionId)", "sign-ins/\(signInId)", "sign-ups/\(signUpId)",
                     "organization-members/\(membershipId)", "organization-invitations/\(orgInvitationId)",
                     "organizations/\(organizationId)", "roles/\(roleId)", "tenant-social-providers/\(providerId)",
                     "users/\(userId)"] {
            try await w.call("DELETE", "/api/v0/auth/\(path)", keys)
        }
        try await w.call("DELETE", "/api/v0/domains/\(domainId)", keys)
        try await w.call("DELETE", "/api/v0/files/\(fileId)", keys)
        try await w.call("DELETE", "/api/v0/media/uploads/\(spareUploadId)", keys)
        try await w.call("DELETE", "/api/v0/media/transformations/\(transformationId)", keys)
        try await w.call("DELETE", "/api/v0/notifications/channels/\(spareChannelId)", keys)
        try await w.call("DELETE", "/api/v0/notifications/templates/\(spareTemplateId)", keys)
        try await w.call("DELETE", "/api/v0/tenants/invitations/\(pendingInvitationId)", owner)
        try await w.call("DELETE", "/api/v0/tenants/members/\(helperMemberId)", owner)
        // The spare tenant: a new secret, then gone.
        try await w.call("POST", "/api/v0/tenants/\(spareTenantId)/rotate-secret-key", owner)
        try await w.call("DELETE", "/api/v0/tenants/\(spareTenantId)", owner)
    }
}
