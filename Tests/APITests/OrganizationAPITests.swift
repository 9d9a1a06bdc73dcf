import Crypto
import Foundation
import HeraldTestSupport
import JSON
import Postgres
import Testing

/// Organizations, memberships and organization invitations: contract shapes,
/// `_count`, conflicts, cross-tenant references and tenant isolation.
@Suite struct OrganizationAPITests {
    @Test func organizationsThroughTheContract() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "orgs@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")

            let generated = try await api.contractCall("POST", "/api/v0/auth/organizations", tenant.keys,
                                                       json: #"{"tenantId":"\#(tenant.id)","name":"Rocket Labs!"}"#)
            #expect(generated.status == 200, "\(generated.bodyString)")
            let slug = try generated.json()["slug"]?.stringValue ?? ""
            #expect(slug.hasPrefix("rocket-labs-"), "a slug is made from the name: \(slug)")
            #expect(try generated.json()["_count"] == ["members": 0])

            let created = try await api.contractCall("POST", "/api/v0/auth/organizations", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Acme","slug":"acme","imageUri":"https://example.com/a.png",
                 "publicMeta":{"plan":"gold"}}
                """)
            let id = try #require(try created.json()["id"]?.stringValue)
            #expect(try created.json()["publicMeta"] == ["plan": "gold"])
            #expect(try created.json()["tenantId"]?.stringValue == tenant.id)

            // Slugs are unique per tenant; another tenant may reuse one.
            let duplicate = #"{"tenantId":"\#(tenant.id)","name":"Acme 2","slug":"acme"}"#
            #expect(try await api.contractCall("POST", "/api/v0/auth/organizations", tenant.keys, json: duplicate).status == 409)
            #expect(try await api.call("POST", "/api/v0/auth/organizations", other.keys,
                                       json: #"{"tenantId":"\#(other.id)","name":"Acme","slug":"acme"}"#).status == 200)
            let invalid = try await api.contractCall("POST", "/api/v0/auth/organizations", tenant.keys,
                                                     json: #"{"tenantId":"\#(tenant.id)","slug":"Not A Slug"}"#)
            #expect(invalid.status == 400)
            let issues = try invalid.json()["issues"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            #expect(issues.contains { $0.hasPrefix("name:") } && issues.contains { $0.hasPrefix("slug:") })
            // A tenantId of another tenant is 404.
            #expect(try await api.call("POST", "/api/v0/auth/organizations", tenant.keys,
                                       json: #"{"tenantId":"\#(other.id)","name":"X"}"#).status == 404)

            let list = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/auth/organizations", tenant.keys)
            #expect(try list.json()["meta"]?["total"] == 2)

            // `_count.members` follows the memberships.
            for name in ["Ann", "Bob"] {
                let user = try await api.orgFixtureUser(tenantId: tenant.id, name: name, email: "\(name.lowercased())@example.com")
                let member = try await api.call("POST", "/api/v0/auth/organization-members", tenant.keys,
                                                json: #"{"organizationId":"\#(id)","userId":"\#(user)"}"#)
                #expect(member.status == 200, "\(member.bodyString)")
            }
            let got = try await api.contractCall("GET", "/api/v0/auth/organizations/\(id)", tenant.keys)
            #expect(try got.json()["_count"] == ["members": 2])

            let updated = try await api.contractCall("PUT", "/api/v0/auth/organizations/\(id)", tenant.keys,
                                                     json: #"{"name":"Acme Inc","imageUri":"","slug":"acme-inc"}"#)
            #expect(try updated.json()["name"] == "Acme Inc")
            #expect(try updated.json()["slug"] == "acme-inc")
            #expect(try updated.json()["imageUri"] == .null)
            #expect(try await api.contractCall("PUT", "/api/v0/auth/organizations/\(id)", tenant.keys,
                                               json: #"{"slug":"\#(slug)"}"#).status == 409)

            // Another tenant's keys: 404 and nothing changes.
            #expect(try await api.call("GET", "/api/v0/auth/organizations/\(id)", other.keys).status == 404)
            #expect(try await api.call("PUT", "/api/v0/auth/organizations/\(id)", other.keys, json: #"{"name":"Stolen"}"#).status == 404)
            #expect(try await api.call("DELETE", "/api/v0/auth/organizations/\(id)", other.keys).status == 404)
            #expect(try await api.call("GET", "/api/v0/tenants/\(tenant.id)/auth/organizations", other.keys).status == 404)
            #expect(try await api.call("GET", "/api/v0/auth/organizations/\(id)", tenant.keys).json()["name"] == "Acme Inc")

            let deleted = try await api.contractCall("DELETE", "/api/v0/auth/organizations/\(id)", tenant.keys)
            #expect(try deleted.json()["_count"] == ["members": 2], "answers the organization as it was")
            #expect(try await api.call("GET", "/api/v0/auth/organizations/\(id)", tenant.keys).status == 404)
            let left = try await api.pool.withConnection { connection in
                try connection.query("SELECT count(*) FROM organization_memberships WHERE organization_id = $1", [id])[0]
                    .decode(0, as: Int.self)
            }
            #expect(left == 0)
        }
    }

    @Test func membershipsThroughTheContract() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "members@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            let org = try await api.orgFixtureOrganization(tenant, name: "Crew")
            let ann = try await api.orgFixtureUser(tenantId: tenant.id, name: "Ann", email: "ann@example.com")
            let bob = try await api.orgFixtureUser(tenantId: tenant.id, name: nil, email: nil, username: "bobby")
            let stranger = try await api.orgFixtureUser(tenantId: other.id, name: "Eve", email: "eve@example.com")
            let role = try await api.call("POST", "/api/v0/auth/roles", tenant.keys,
                                          json: #"{"tenantId":"\#(tenant.id)","name":"Captain"}"#).json()["id"]?.stringValue ?? ""
            let foreignRole = try await api.call("POST", "/api/v0/auth/roles", other.keys,
                                                 json: #"{"tenantId":"\#(other.id)","name":"Spy"}"#).json()["id"]?.stringValue ?? ""

            let created = try await api.contractCall("POST", "/api/v0/auth/organization-members", tenant.keys, json: """
                {"organizationId":"\(org)","userId":"\(ann)","roleId":"\(role)","publicMeta":{"seat":1}}
                """)
            #expect(created.status == 200, "\(created.bodyString)")
            let id = try #require(try created.json()["id"]?.stringValue)
            #expect(try created.json()["user"]?["identifier"] == "ann@example.com")
            #expect(try created.json()["user"]?["name"] == "Ann")
            #expect(try created.json()["role"]?["name"] == "Captain")
            #expect(try created.json()["role"]?["_count"] == ["users": 0, "members": 1])

            let second = try await api.contractCall("POST", "/api/v0/auth/organization-members", tenant.keys,
                                                    json: #"{"organizationId":"\#(org)","userId":"\#(bob)"}"#)
            #expect(try second.json()["user"]?["identifier"] == "bobby", "username when there is no email or phone")
            #expect(try second.json()["role"] == nil, "no role: the key is absent")

            // One membership per user and organization; rows of other tenants are refused.
            #expect(try await api.contractCall("POST", "/api/v0/auth/organization-members", tenant.keys,
                                               json: #"{"organizationId":"\#(org)","userId":"\#(ann)"}"#).status == 409)
            #expect(try await api.contractCall("POST", "/api/v0/auth/organization-members", tenant.keys,
                                               json: #"{"organizationId":"\#(org)","userId":"\#(stranger)"}"#).status == 400)
            let carol = try await api.orgFixtureUser(tenantId: tenant.id, name: "Carol", email: "carol@example.com")
            #expect(try await api.contractCall("POST", "/api/v0/auth/organization-members", tenant.keys, json: """
                {"organizationId":"\(org)","userId":"\(carol)","roleId":"\(foreignRole)"}
                """).status == 400)
            #expect(try await api.contractCall("POST", "/api/v0/auth/organization-members", tenant.keys,
                                               json: #"{"organizationId":"\#(org)"}"#).status == 400)

            let list = try await api.contractCall("GET", "/api/v0/organizations/\(org)/auth/organization-members", tenant.keys)
            #expect(try list.json()["meta"]?["total"] == 2)
            #expect(try await api.contractCall("GET", "/api/v0/auth/organization-members/\(id)", tenant.keys).json()["userId"]?.stringValue == ann)

            #expect(try await api.contractCall("PUT", "/api/v0/auth/organization-members/\(id)", tenant.keys,
                                               json: #"{"roleId":"\#(foreignRole)"}"#).status == 400)
            let updated = try await api.contractCall("PUT", "/api/v0/auth/organization-members/\(id)", tenant.keys,
                                                     json: #"{"roleId":null,"privateMeta":{"note":"x"}}"#)
            #expect(try updated.json()["role"] == nil)
            #expect(try updated.json()["roleId"] == .null)
            #expect(try updated.json()["privateMeta"] == ["note": "x"])
            #expect(try updated.json()["publicMeta"] == ["seat": 1], "untouched fields stay")

            // Another tenant's keys: 404 and nothing changes.
            #expect(try await api.call("GET", "/api/v0/organizations/\(org)/auth/organization-members", other.keys).status == 404)
            #expect(try await api.call("GET", "/api/v0/auth/organization-members/\(id)", other.keys).status == 404)
            #expect(try await api.call("PUT", "/api/v0/auth/organization-members/\(id)", other.keys,
                                       json: #"{"roleId":"\#(foreignRole)"}"#).status == 404)
            #expect(try await api.call("DELETE", "/api/v0/auth/organization-members/\(id)", other.keys).status == 404)
            #expect(try await api.call("POST", "/api/v0/auth/organization-members", other.keys,
                                       json: #"{"organizationId":"\#(org)","userId":"\#(stranger)"}"#).status == 404)
            #expect(try await api.call("GET", "/api/v0/organizations/\(org)/auth/organization-members", tenant.keys)
                .json()["meta"]?["total"] == 2)

            let deleted = try await api.contractCall("DELETE", "/api/v0/auth/organization-members/\(id)", tenant.keys)
            #expect(try deleted.json()["id"]?.stringValue == id)
            #expect(try await api.call("GET", "/api/v0/auth/organization-members/\(id)", tenant.keys).status == 404)
        }
    }
}

/// Organization invitations: the invitation email is queued in the
/// transaction that creates (or resends) the invitation.
@Suite struct OrganizationInvitationAPITests {
    @Test func invitationsQueueTheirEmailWithAnAcceptLink() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "inviter@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            let org = try await api.orgFixtureOrganization(tenant, name: "Moon Base")
            let channel = try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Mail","key":"mail","type":"email","provider":"email_pxyz","providerSettings":{}}
                """)
            let channelId = try #require(try channel.json()["id"]?.stringValue, "\(channel.bodyString)")
            try await api.pool.withConnection { connection in
                _ = try connection.query("UPDATE tenant_auth_settings SET email_channel_id = $2 WHERE tenant_id = $1",
                                         [tenant.id, channelId])
            }
            let role = try await api.call("POST", "/api/v0/auth/roles", tenant.keys,
                                          json: #"{"tenantId":"\#(tenant.id)","name":"Pilot"}"#).json()["id"]?.stringValue ?? ""
            let foreignRole = try await api.call("POST", "/api/v0/auth/roles", other.keys,
                                                 json: #"{"tenantId":"\#(other.id)","name":"Spy"}"#).json()["id"]?.stringValue ?? ""

            let path = "/api/v0/auth/organization-invitations"
            let body = #"{"organizationId":"\#(org)","email":"guest@example.com","roleId":"\#(role)"}"#
            let created = try await api.call("POST", path, owner, json: body, headers: [("Accept-Language", "de-DE,de;q=0.9")])
            #expect(created.status == 200, "\(created.bodyString)")
            #expect(api.contract.validate(method: "POST", path: path, status: created.status, body: created.body).isEmpty)
            let id = try #require(try created.json()["id"]?.stringValue)
            #expect(try created.json()["role"]?["name"] == "Pilot")
            #expect(try created.json()["acceptedAt"] == .null)

            let queued = try await api.orgQueuedInvitations(tenantId: tenant.id)
            #expect(queued.count == 1)
            let row = try #require(queued.first)
            #expect(row.to == ["to": ["guest@example.com"]])
            #expect(row.locale == "de-DE")
            #expect(row.channelId == channelId)
            #expect(row.priority == 0)
            #expect(row.variables["organization"] == ["name": "Moon Base"])
            #expect(row.variables["tenant"] == ["name": "Acme Corp"])
            #expect(row.variables["role"] == ["name": "Pilot"])
            #expect(row.variables["inviter"]?["email"] == "inviter@example.com", "the calling platform user invites")
            let link = row.variables["acceptUrl"]?.stringValue ?? ""
            let prefix = api.services.configuration.publicURL + "/accept-invitation?type=organization&id=\(id)&token="
            #expect(link.hasPrefix(prefix), "\(link)")
            let token = String(link.dropFirst(prefix.count))
            #expect(token.count >= 32)
            #expect(try await api.services.store.orgInvitationTokenMatches(id: id, token: token))
            #expect(try await !api.services.store.orgInvitationTokenMatches(id: id, token: token + "x"))

            // Resend: a new link, the old one stops working.
            // An extension (API.md §1), not in the contract file: `{status}` like the contract's actions.
            try await api.ageRateLimits(by: 31)  // past the address's interval (RateLimitAPITests)
            let resent = try await api.call("POST", "\(path)/\(id)/resend", tenant.keys)
            #expect(resent.status == 200, "\(resent.bodyString)")
            #expect(try resent.json() == ["status": "success"])
            let again = try await api.orgQueuedInvitations(tenantId: tenant.id)
            #expect(again.count == 2)
            #expect(again.last?.variables["inviter"] == nil, "tenant keys name no inviter")
            #expect(again.last?.locale == "en")
            #expect(try await !api.services.store.orgInvitationTokenMatches(id: id, token: token))

            // A refused invitation (another tenant's role) rolls back and queues nothing.
            let refused = try await api.contractCall("POST", path, tenant.keys, json: """
                {"organizationId":"\(org)","email":"nobody@example.com","roleId":"\(foreignRole)"}
                """)
            #expect(refused.status == 400)
            #expect(try await api.orgQueuedInvitations(tenantId: tenant.id).count == 2)
            #expect(try await api.contractCall("POST", path, tenant.keys,
                                               json: #"{"organizationId":"\#(org)","email":"not-an-email"}"#).status == 400)

            let list = try await api.contractCall("GET", "/api/v0/auth/organizations/\(org)/organization-invitations", tenant.keys)
            #expect(try list.json()["meta"]?["total"] == 1, "the refused invitations were not stored")
            #expect(try await api.contractCall("GET", "\(path)/\(id)", tenant.keys).json()["email"] == "guest@example.com")
            #expect(try await api.contractCall("PUT", "\(path)/\(id)", tenant.keys,
                                               json: #"{"roleId":"\#(foreignRole)"}"#).status == 400)
            let updated = try await api.contractCall("PUT", "\(path)/\(id)", tenant.keys, json: #"{"roleId":null}"#)
            #expect(try updated.json()["role"] == nil)
            #expect(try updated.json()["roleId"] == .null)

            // Another tenant's keys: 404, nothing changed, nothing queued.
            #expect(try await api.call("GET", "/api/v0/auth/organizations/\(org)/organization-invitations", other.keys).status == 404)
            #expect(try await api.call("GET", "\(path)/\(id)", other.keys).status == 404)
            #expect(try await api.call("PUT", "\(path)/\(id)", other.keys, json: #"{"roleId":null}"#).status == 404)
            #expect(try await api.call("DELETE", "\(path)/\(id)", other.keys).status == 404)
            #expect(try await api.call("POST", "\(path)/\(id)/resend", other.keys).status == 404)
            #expect(try await api.call("POST", path, other.keys,
                                       json: #"{"organizationId":"\#(org)","email":"x@example.com"}"#).status == 404)
            #expect(try await api.orgQueuedInvitations(tenantId: tenant.id).count == 2)
            #expect(try await api.orgQueuedInvitations(tenantId: other.id).isEmpty)

            // Answered invitations are not resent.
            try await api.pool.withConnection { connection in
                _ = try connection.query("UPDATE organization_invitations SET accepted_at = now() WHERE id = $1", [id])
            }
            #expect(try await api.call("POST", "\(path)/\(id)/resend", tenant.keys).status == 400)
            let deleted = try await api.contractCall("DELETE", "\(path)/\(id)", tenant.keys)
            #expect(try deleted.json()["acceptedAt"]?.stringValue != nil)
            #expect(try await api.call("GET", "\(path)/\(id)", tenant.keys).status == 404)
        }
    }
}

struct OrgQueuedInvitation {
    let to: JSONValue
    let locale: String
    let channelId: String?
    let priority: Int
    let variables: JSONValue
}

extension APIHarness {
    /// A tenant's user made directly in the database (user creation is another suite's).
    func orgFixtureUser(tenantId: String, name: String?, email: String?, username: String? = nil,
                        roleId: String? = nil) async throws -> String {
        let id = Identifier.make()
        let emailId = Identifier.make()
        try await pool.withTransaction { connection in
            _ = try connection.query("INSERT INTO users (id, tenant_id, name, username, role_id) VALUES ($1, $2, $3, $4, $5)",
                                     [id, tenantId, name, username, roleId])
            if let email {
                _ = try connection.query("INSERT INTO email_addresses (id, tenant_id, user_id, email) VALUES ($1, $2, $3, $4)",
                                         [emailId, tenantId, id, email])
                _ = try connection.query("UPDATE users SET primary_email_id = $2 WHERE id = $1", [id, emailId])
            }
        }
        return id
    }

    func orgFixtureOrganization(_ tenant: TestTenant, name: String) async throws -> String {
        let created = try await call("POST", "/api/v0/auth/organizations", tenant.keys,
                                     json: #"{"tenantId":"\#(tenant.id)","name":"\#(name)"}"#)
        #expect(created.status == 200, "\(created.bodyString)")
        return try created.json()["id"]?.stringValue ?? ""
    }

    /// The organization-invitation notifications queued for a tenant, oldest first.
    func orgQueuedInvitations(tenantId: String) async throws -> [OrgQueuedInvitation] {
        let rows = try await pool.withConnection { connection in
            try connection.query("""
                SELECT "to"::text, locale, channel_id, priority::int, variables::text FROM notifications
                WHERE tenant_id = $1 AND template_name = 'organization-invitation' AND type = 'email'
                  AND template_id IS NULL AND rendered IS NULL
                ORDER BY created_at, seq
                """, [tenantId]).map { row in
                [try row.decode(0, as: String.self), try row.decode(1, as: String.self),
                 try row.decode(2, as: String?.self) ?? "", String(try row.decode(3, as: Int.self)),
                 try row.decode(4, as: String.self)]
            }
        }
        return try rows.map { row in
            OrgQueuedInvitation(to: try JSONParser.parse(row[0]), locale: row[1], channelId: row[2].isEmpty ? nil : row[2],
                                priority: Int(row[3]) ?? -1, variables: try JSONParser.parse(row[4]))
        }
    }
}
