import API
import Foundation
import HeraldTestSupport
import JSON
import Testing

/// Tenant members and invitations, and the invitee's side under `/user`.
@Suite struct MemberAPITests {
    static let allFlags = #""roleAdmin":false,"roleEditOrganizations":false,"roleEditUsers":true,"roleEditConfig":false,"roleViewUsers":true,"roleViewOrganizations":false,"roleViewConfig":true,"roleViewBilling":false,"roleEditBilling":false"#

    @Test func inviteQueuesTheEmailAndTheInviteeAccepts() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let tenant = try await api.tenant(owner: owner, name: "Lindenhof Shop")
            let invited = try await api.contractCall("POST", "/api/v0/tenants/members/invite", owner, json: """
                {"tenantId":"\(tenant.id)","email":"Felix@Example.com","roleEditUsers":true,"roleViewConfig":true}
                """)
            #expect(invited.status == 200, "\(invited.bodyString)")
            let invitation = try invited.json()
            let invitationId = try #require(invitation["id"]?.stringValue)
            #expect(invitation["email"] == "Felix@Example.com")
            #expect(invitation["roleEditUsers"] == true)
            #expect(invitation["roleAdmin"] == false)
            #expect(invitation["userId"] == nil) // no platform user has this address yet

            // The email is queued in the invite's transaction, addressed through Herald's relay.
            let queued = try await api.pool.withConnection { connection in
                try connection.query("""
                    SELECT template_name, template_id IS NULL AND channel_id IS NULL AND rendered IS NULL, "to"::text,
                           variables::text, priority, locale, status
                    FROM notifications WHERE tenant_id = $1
                    """, [tenant.id]).map { row in
                    (try row.decode(0, as: String.self), try row.decode(1, as: Bool.self), try row.decode(2, as: String.self),
                     try row.decode(3, as: String.self), try row.decode(4, as: Int.self), try row.decode(5, as: String.self),
                     try row.decode(6, as: String.self))
                }
            }
            #expect(queued.count == 1)
            let row = try #require(queued.first)
            #expect(row.0 == "tenant-invitation")
            #expect(row.1)
            #expect(try JSONParser.parse(row.2) == ["to": ["Felix@Example.com"]])
            let variables = try JSONParser.parse(row.3)
            #expect(variables["tenant"]?["name"] == "Lindenhof Shop")
            #expect(variables["inviter"]?["email"] == "owner@example.com")
            #expect(variables["acceptUrl"]?.stringValue?.hasSuffix("/accept-invitation?type=tenant&id=\(invitationId)") == true)
            #expect(row.4 == 0)
            #expect(row.5 == "en")
            #expect(row.6 == "queued")

            let list = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/invitations", owner)
            #expect(try list.json()["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [invitationId])

            // The invitee sees it, with the tenant's summary; someone else does not.
            let felix = try await api.token(email: "felix@example.com")
            let stranger = try await api.token(email: "stranger@example.com")
            let mine = try await api.call("GET", "/api/v0/user/invitations", felix)
            #expect(mine.status == 200)
            let mineJSON = try mine.json()
            #expect(mineJSON["status"] == "success")
            let listed = try #require(mineJSON["data"]?.arrayValue?.first)
            #expect(listed["id"]?.stringValue == invitationId)
            #expect(listed["tenant"]?["name"] == "Lindenhof Shop")
            #expect(listed["tenant"]?["id"]?.stringValue == tenant.id)
            #expect(try await api.call("GET", "/api/v0/user/invitations", stranger).json()["data"] == [])

            // Another address cannot accept it; tenant keys are not platform credentials.
            #expect(try await api.call("POST", "/api/v0/user/invitations/\(invitationId)/accept", stranger).status == 404)
            #expect(try await api.call("POST", "/api/v0/user/invitations/\(invitationId)/accept", tenant.keys).status == 401)
            #expect(try await api.call("GET", "/api/v0/tenants/\(tenant.id)", felix).status == 404)

            let accepted = try await api.call("POST", "/api/v0/user/invitations/\(invitationId)/accept", felix)
            #expect(accepted.status == 200)
            #expect(try accepted.json() == ["status": "success"])
            guard case .bearer(_, let felixId) = felix else { return }
            let member = try await api.pool.withConnection { connection in
                try connection.query("""
                    SELECT m.role_edit_users, m.role_view_config, m.role_admin, i.accepted_at IS NOT NULL, i.platform_user_id
                    FROM tenant_members m JOIN tenant_invitations i ON i.id = $3
                    WHERE m.tenant_id = $1 AND m.platform_user_id = $2
                    """, [tenant.id, felixId, invitationId]).first.map { row in
                    [try row.decode(0, as: Bool.self), try row.decode(1, as: Bool.self), try row.decode(2, as: Bool.self),
                     try row.decode(3, as: Bool.self), try row.decode(4, as: String.self) == felixId]
                }
            }
            #expect(member == [true, true, false, true, true])
            // Now a member: reads the tenant, and the answered invitation is gone from both lists.
            #expect(try await api.call("GET", "/api/v0/tenants/\(tenant.id)", felix).status == 200)
            #expect(try await api.call("GET", "/api/v0/user/invitations", felix).json()["data"] == [])
            let after = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/invitations", owner)
            #expect(try after.json()["meta"]?["total"] == 0)
            // Answering twice: not found.
            #expect(try await api.call("POST", "/api/v0/user/invitations/\(invitationId)/decline", felix).status == 404)
            // Inviting a member again: 409.
            let again = try await api.call("POST", "/api/v0/tenants/members/invite", owner,
                                           json: #"{"tenantId":"\#(tenant.id)","email":"felix@example.com"}"#)
            #expect(again.status == 409)
        }
    }

    @Test func declineMarksItAndCreatesNoMember() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let invitee = try await api.token(email: "dora@example.com")
            let tenant = try await api.tenant(owner: owner)
            let invited = try await api.call("POST", "/api/v0/tenants/members/invite", owner,
                                             json: #"{"tenantId":"\#(tenant.id)","email":"dora@example.com","roleAdmin":true}"#,
                                             headers: [("Accept-Language", "de-AT,de;q=0.9")])
            let id = try #require(try invited.json()["id"]?.stringValue)
            // The invitee already has an account: the invitation names the user.
            guard case .bearer(_, let doraId) = invitee else { return }
            #expect(try invited.json()["userId"]?.stringValue == doraId)
            #expect(try invited.json()["user"]?["emailAddresses"]?.arrayValue?.first?["email"] == "dora@example.com")
            let locale = try await api.pool.withConnection { connection in
                try connection.query("SELECT locale FROM notifications WHERE tenant_id = $1", [tenant.id])[0].decode(0, as: String.self)
            }
            #expect(locale == "de-AT")
            // A wildcard is no preference: English.
            let wildcard = try await api.call("POST", "/api/v0/tenants/members/invite", owner,
                                              json: #"{"tenantId":"\#(tenant.id)","email":"wild@example.com"}"#,
                                              headers: [("Accept-Language", "*")])
            let wildcardId = try #require(try wildcard.json()["id"]?.stringValue)
            let wildcardLocale = try await api.pool.withConnection { connection in
                try connection.query("SELECT locale FROM notifications WHERE variables->>'acceptUrl' LIKE '%' || $1",
                                     [wildcardId])[0].decode(0, as: String.self)
            }
            #expect(wildcardLocale == "en")
            // A second pending invitation to the same address: 409, nothing more queued.
            let duplicate = try await api.call("POST", "/api/v0/tenants/members/invite", owner,
                                               json: #"{"tenantId":"\#(tenant.id)","email":"DORA@example.com"}"#)
            #expect(duplicate.status == 409)

            let declined = try await api.call("POST", "/api/v0/user/invitations/\(id)/decline", invitee)
            #expect(try declined.json() == ["status": "success"])
            let state = try await api.pool.withConnection { connection in
                try connection.query("""
                    SELECT declined_at IS NOT NULL, accepted_at IS NULL,
                           (SELECT count(*) FROM tenant_members WHERE tenant_id = $2),
                           (SELECT count(*) FROM notifications WHERE tenant_id = $2)
                    FROM tenant_invitations WHERE id = $1
                    """, [id, tenant.id]).first.map { row in
                    [try row.decode(0, as: Bool.self) ? 1 : 0, try row.decode(1, as: Bool.self) ? 1 : 0,
                     try row.decode(2, as: Int.self), try row.decode(3, as: Int.self)]
                }
            }
            #expect(state == [1, 1, 1, 2])
            #expect(try await api.call("POST", "/api/v0/user/invitations/\(id)/accept", invitee).status == 404)
        }
    }

    @Test func inviteValidationAndAccess() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let other = try await api.token(email: "other@example.com")
            let tenant = try await api.tenant(owner: owner)
            _ = try await api.tenant(owner: other, name: "Other Tenant")
            let bad = try await api.call("POST", "/api/v0/tenants/members/invite", owner,
                                         json: #"{"tenantId":"\#(tenant.id)","email":"not-an-email","roleAdmin":"yes"}"#)
            #expect(bad.status == 400)
            let issues = try bad.json()["issues"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            #expect(issues.contains { $0.hasPrefix("email:") })
            #expect(issues.contains { $0.hasPrefix("roleAdmin:") })
            // Another tenant's owner, and tenant keys: nothing queued.
            let body = #"{"tenantId":"\#(tenant.id)","email":"x@example.com"}"#
            #expect(try await api.call("POST", "/api/v0/tenants/members/invite", other, json: body).status == 404)
            #expect(try await api.call("POST", "/api/v0/tenants/members/invite", tenant.keys, json: body).status == 401)
            #expect(try await api.call("GET", "/api/v0/tenants/\(tenant.id)/invitations", other).status == 404)
            let count = try await api.pool.withConnection { connection in
                try connection.query("SELECT (SELECT count(*) FROM tenant_invitations) + (SELECT count(*) FROM notifications)")[0]
                    .decode(0, as: Int.self)
            }
            #expect(count == 0)
        }
    }

    @Test func updateAndDeleteInvitations() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let other = try await api.token(email: "other@example.com")
            let tenant = try await api.tenant(owner: owner)
            let invited = try await api.call("POST", "/api/v0/tenants/members/invite", owner,
                                             json: #"{"tenantId":"\#(tenant.id)","email":"eve@example.com"}"#)
            let id = try #require(try invited.json()["id"]?.stringValue)
            let updated = try await api.contractCall("PATCH", "/api/v0/tenants/invitations/\(id)", owner,
                                                     json: #"{"roleViewBilling":true}"#)
            #expect(try updated.json()["roleViewBilling"] == true)
            #expect(try updated.json()["roleViewUsers"] == false)
            #expect(try await api.call("PATCH", "/api/v0/tenants/invitations/\(id)", owner,
                                       json: #"{"roleAdmin":1}"#).status == 400)
            #expect(try await api.call("PATCH", "/api/v0/tenants/invitations/\(id)", other,
                                       json: #"{"roleAdmin":true}"#).status == 404)
            #expect(try await api.call("DELETE", "/api/v0/tenants/invitations/\(id)", other).status == 404)
            #expect(try await api.call("DELETE", "/api/v0/tenants/invitations/\(id)", tenant.keys).status == 401)
            let deleted = try await api.contractCall("DELETE", "/api/v0/tenants/invitations/\(id)", owner)
            #expect(deleted.bodyString == "true")
            #expect(try await api.call("DELETE", "/api/v0/tenants/invitations/\(id)", owner).status == 404)
        }
    }

    @Test func updateAndRemoveMembersKeepingAnAdmin() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let helper = try await api.token(email: "helper@example.com")
            let outsider = try await api.token(email: "outsider@example.com")
            let tenant = try await api.tenant(owner: owner)
            let invited = try await api.call("POST", "/api/v0/tenants/members/invite", owner,
                                             json: #"{"tenantId":"\#(tenant.id)","email":"helper@example.com","roleViewUsers":true}"#)
            let invitationId = try #require(try invited.json()["id"]?.stringValue)
            #expect(try await api.call("POST", "/api/v0/user/invitations/\(invitationId)/accept", helper).status == 200)
            let members = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/members", owner)
            let items = try #require(try members.json()["data"]?.arrayValue)
            guard case .bearer(_, let ownerId) = owner, case .bearer(_, let helperId) = helper else { return }
            let ownerMember = try #require(items.first { $0["userId"]?.stringValue == ownerId }?["id"]?.stringValue)
            let helperMember = try #require(items.first { $0["userId"]?.stringValue == helperId }?["id"]?.stringValue)

            let updated = try await api.contractCall("PATCH", "/api/v0/tenants/members/\(helperMember)", owner,
                                                     json: "{\(Self.allFlags)}")
            #expect(try updated.json()["roleEditUsers"] == true)
            #expect(try updated.json()["roleViewConfig"] == true)
            // A non-admin member cannot change roles; strangers and keys cannot see the member.
            #expect(try await api.call("PATCH", "/api/v0/tenants/members/\(ownerMember)", helper,
                                       json: #"{"roleAdmin":false}"#).status == 403)
            #expect(try await api.call("PATCH", "/api/v0/tenants/members/\(helperMember)", outsider,
                                       json: #"{"roleAdmin":true}"#).status == 404)
            #expect(try await api.call("PATCH", "/api/v0/tenants/members/\(helperMember)", tenant.keys,
                                       json: #"{"roleAdmin":true}"#).status == 401)
            #expect(try await api.call("PATCH", "/api/v0/tenants/members/\(helperMember)", owner,
                                       json: #"{"roleAdmin":"no"}"#).status == 400)
            // The only admin cannot demote or remove themselves.
            let demote = try await api.call("PATCH", "/api/v0/tenants/members/\(ownerMember)", owner, json: #"{"roleAdmin":false}"#)
            #expect(demote.status == 409)
            #expect(try await api.call("DELETE", "/api/v0/tenants/members/\(ownerMember)", owner).status == 409)
            #expect(try await api.call("DELETE", "/api/v0/tenants/members/\(helperMember)", outsider).status == 404)

            let removed = try await api.contractCall("DELETE", "/api/v0/tenants/members/\(helperMember)", owner)
            #expect(removed.bodyString == "true")
            #expect(try await api.call("GET", "/api/v0/tenants/\(tenant.id)", helper).status == 404)
            #expect(try await api.call("DELETE", "/api/v0/tenants/members/\(helperMember)", owner).status == 404)
            let admins = try await api.pool.withConnection { connection in
                try connection.query("SELECT count(*) FROM tenant_members WHERE tenant_id = $1 AND role_admin", [tenant.id])[0]
                    .decode(0, as: Int.self)
            }
            #expect(admins == 1)
        }
    }

    @Test func aMemberMayLeave() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let helper = try await api.token(email: "helper@example.com")
            let tenant = try await api.tenant(owner: owner)
            let invited = try await api.call("POST", "/api/v0/tenants/members/invite", owner,
                                             json: #"{"tenantId":"\#(tenant.id)","email":"helper@example.com"}"#)
            let invitationId = try #require(try invited.json()["id"]?.stringValue)
            _ = try await api.call("POST", "/api/v0/user/invitations/\(invitationId)/accept", helper)
            guard case .bearer(_, let helperId) = helper else { return }
            let memberId = try await api.pool.withConnection { connection in
                try connection.query("SELECT id FROM tenant_members WHERE platform_user_id = $1", [helperId])[0]
                    .decode(0, as: String.self)
            }
            let left = try await api.call("DELETE", "/api/v0/tenants/members/\(memberId)", helper)
            #expect(left.bodyString == "true")
        }
    }
}
