import Crypto
import Foundation
import HeraldTestSupport
import JSON
import Postgres
import Testing

/// Roles: contract shapes, `_count` of users and members counted by SQL,
/// unique names, and tenant isolation.
@Suite struct RoleAPITests {
    @Test func rolesThroughTheContract() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "roles@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")

            let created = try await api.contractCall("POST", "/api/v0/auth/roles", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Editor","description":"Edits","permissions":["org:read","org:write"]}
                """)
            #expect(created.status == 200, "\(created.bodyString)")
            let id = try #require(try created.json()["id"]?.stringValue)
            #expect(try created.json()["permissions"] == ["org:read", "org:write"])
            #expect(try created.json()["_count"] == ["users": 0, "members": 0])

            // Names are unique per tenant.
            #expect(try await api.contractCall("POST", "/api/v0/auth/roles", tenant.keys,
                                               json: #"{"tenantId":"\#(tenant.id)","name":"Editor"}"#).status == 409)
            let invalid = try await api.contractCall("POST", "/api/v0/auth/roles", tenant.keys,
                                                     json: #"{"tenantId":"\#(tenant.id)","permissions":"all"}"#)
            #expect(invalid.status == 400)
            let issues = try invalid.json()["issues"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            #expect(issues.contains { $0.hasPrefix("name:") } && issues.contains { $0.hasPrefix("permissions:") })
            #expect(try await api.call("POST", "/api/v0/auth/roles", tenant.keys,
                                       json: #"{"tenantId":"\#(other.id)","name":"X"}"#).status == 404)

            // `_count.users` counts users holding the role, `_count.members` organization members.
            _ = try await api.orgFixtureUser(tenantId: tenant.id, name: "Ann", email: "ann@example.com", roleId: id)
            _ = try await api.orgFixtureUser(tenantId: tenant.id, name: "Ann", email: "ann2@example.com", roleId: id)
            let bob = try await api.orgFixtureUser(tenantId: tenant.id, name: "Bob", email: "bob@example.com")
            let org = try await api.orgFixtureOrganization(tenant, name: "Crew")
            let member = try await api.call("POST", "/api/v0/auth/organization-members", tenant.keys,
                                            json: #"{"organizationId":"\#(org)","userId":"\#(bob)","roleId":"\#(id)"}"#)
            #expect(member.status == 200, "\(member.bodyString)")
            let got = try await api.contractCall("GET", "/api/v0/auth/roles/\(id)", tenant.keys)
            #expect(try got.json()["_count"] == ["users": 2, "members": 1])

            let list = try await api.contractCall("GET", "/api/v0/auth/tenants/\(tenant.id)/roles", tenant.keys)
            #expect(try list.json()["meta"]?["total"] == 1)
            #expect(try list.json()["data"]?.arrayValue?.first?["_count"] == ["users": 2, "members": 1])

            let updated = try await api.contractCall("PUT", "/api/v0/auth/roles/\(id)", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Writer","description":null,"permissions":[]}
                """)
            #expect(try updated.json()["name"] == "Writer")
            #expect(try updated.json()["description"] == .null)
            #expect(try updated.json()["permissions"] == [])
            #expect(try await api.contractCall("PUT", "/api/v0/auth/roles/\(id)", tenant.keys,
                                               json: #"{"tenantId":"\#(other.id)","name":"Moved"}"#).status == 400)
            _ = try await api.call("POST", "/api/v0/auth/roles", tenant.keys, json: #"{"tenantId":"\#(tenant.id)","name":"Taken"}"#)
            #expect(try await api.contractCall("PUT", "/api/v0/auth/roles/\(id)", tenant.keys,
                                               json: #"{"tenantId":"\#(tenant.id)","name":"Taken"}"#).status == 409)

            // Another tenant's keys: 404 and nothing changes.
            #expect(try await api.call("GET", "/api/v0/auth/tenants/\(tenant.id)/roles", other.keys).status == 404)
            #expect(try await api.call("GET", "/api/v0/auth/roles/\(id)", other.keys).status == 404)
            #expect(try await api.call("PUT", "/api/v0/auth/roles/\(id)", other.keys,
                                       json: #"{"tenantId":"\#(other.id)","name":"Stolen"}"#).status == 404)
            #expect(try await api.call("DELETE", "/api/v0/auth/roles/\(id)", other.keys).status == 404)
            #expect(try await api.call("GET", "/api/v0/auth/roles/\(id)", tenant.keys).json()["name"] == "Writer")

            let deleted = try await api.contractCall("DELETE", "/api/v0/auth/roles/\(id)", tenant.keys)
            #expect(try deleted.json()["_count"] == ["users": 2, "members": 1], "answers the role as it was")
            #expect(try await api.call("GET", "/api/v0/auth/roles/\(id)", tenant.keys).status == 404)
            let holders = try await api.pool.withConnection { connection in
                try connection.query("""
                    SELECT (SELECT count(*) FROM users WHERE role_id IS NOT NULL)
                         + (SELECT count(*) FROM organization_memberships WHERE role_id IS NOT NULL)
                    """)[0].decode(0, as: Int.self)
            }
            #expect(holders == 0, "users and members lose the deleted role")
        }
    }

    /// Bearer-token members need the organization flags: view to read, edit to change.
    @Test func membersNeedTheOrganizationFlags() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "flags-owner@example.com")
            let tenant = try await api.tenant(owner: owner)
            let viewer = try await api.token(email: "viewer@example.com")
            let outsider = try await api.token(email: "billing@example.com")
            for (credential, canView) in [(viewer, true), (outsider, false)] {
                guard case .bearer(_, let userId) = credential else { continue }
                try await api.pool.withConnection { connection in
                    _ = try connection.query("""
                        INSERT INTO tenant_members (id, tenant_id, platform_user_id, role_view_organizations, role_view_billing)
                        VALUES ($1, $2, $3, $4, true)
                        """, [Identifier.make(), tenant.id, userId, canView])
                }
            }
            let org = try await api.orgFixtureOrganization(tenant, name: "Flagged")
            #expect(try await api.contractCall("GET", "/api/v0/auth/organizations/\(org)", viewer).status == 200)
            #expect(try await api.contractCall("GET", "/api/v0/auth/tenants/\(tenant.id)/roles", viewer).status == 200)
            #expect(try await api.call("PUT", "/api/v0/auth/organizations/\(org)", viewer, json: #"{"name":"No"}"#).status == 403)
            #expect(try await api.call("POST", "/api/v0/auth/roles", viewer,
                                       json: #"{"tenantId":"\#(tenant.id)","name":"No"}"#).status == 403)
            #expect(try await api.call("GET", "/api/v0/auth/organizations/\(org)", outsider).status == 403)
            let stranger = try await api.token(email: "stranger@example.com")
            #expect(try await api.call("GET", "/api/v0/auth/organizations/\(org)", stranger).status == 404)
            #expect(try await api.call("POST", "/api/v0/auth/roles", owner,
                                       json: #"{"tenantId":"\#(tenant.id)","name":"Yes"}"#).status == 200)
        }
    }
}
