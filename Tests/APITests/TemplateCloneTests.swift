import Foundation
import HeraldTestSupport
import JSON
import Testing

/// clone-all-to-tenant as API.md §4 describes it: conflicts reported, the
/// target's unset AuthSettings pointed at the copies, one transaction.
@Suite struct TemplateCloneTests {
    @Test func cloneReportsConflictsAndPointsAuthSettingsAtCopies() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "clone@example.com")
            let source = try await api.tenant(owner: owner, name: "Source Tenant")
            let target = try await api.tenant(owner: owner, name: "Target Tenant")
            var custom: [String: String] = [:]
            for name in ["custom-1", "custom-2"] {
                let made = try await api.call("POST", "/api/v0/notifications/templates", source.keys, json:
                    #"{"tenantId":"\#(source.id)","type":"sms","name":"\#(name)","body":{"text":"\#(name) {{code}}"}}"#)
                custom[name] = try made.json()["id"]?.stringValue
            }
            _ = try await api.call("POST", "/api/v0/notifications/templates", target.keys, json:
                #"{"tenantId":"\#(target.id)","type":"sms","name":"custom-2","body":{"text":"mine"}}"#)
            // The target lost its verification-code email: its AuthSettings reference is unset.
            let targetList = try await api.call("GET", "/api/v0/tenants/\(target.id)/notifications/templates?type=email&perPage=100", target.keys)
            let verification = try #require(try targetList.json()["data"]?.arrayValue?
                .first { $0["name"] == "verification-code" }?["id"]?.stringValue)
            #expect(try await api.call("DELETE", "/api/v0/notifications/templates/\(verification)", target.keys).status == 200)
            let before = try await api.call("GET", "/api/v0/auth/tenants/\(target.id)", target.keys)
            #expect(try before.json()["auth"]?["codeVerificationEmailTemplateId"] == .null)

            // A tenant key holds one tenant only: cloning across needs a platform user holding both.
            let denied = try await api.call("POST", "/api/v0/notifications/templates/clone-all-to-tenant", source.keys,
                                            json: #"{"fromTenantId":"\#(source.id)","toTenantId":"\#(target.id)"}"#)
            #expect(denied.status == 404)

            let cloned = try await api.contractCall("POST", "/api/v0/notifications/templates/clone-all-to-tenant", owner,
                                                    json: #"{"fromTenantId":"\#(source.id)","toTenantId":"\#(target.id)"}"#)
            #expect(cloned.status == 200, "\(cloned.bodyString)")
            let successes = try cloned.json()["successes"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let failures = try cloned.json()["failures"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(successes.contains(custom["custom-1"]!))
            #expect(failures.contains(custom["custom-2"]!))
            // The 9 built-ins all conflict except the deleted verification-code email.
            #expect(successes.count == 2)
            #expect(failures.count == 9)

            let after = try await api.call("GET", "/api/v0/auth/tenants/\(target.id)", target.keys)
            let pointed = try #require(try after.json()["auth"]?["codeVerificationEmailTemplateId"]?.stringValue)
            let copy = try await api.call("GET", "/api/v0/notifications/templates/\(pointed)", target.keys)
            #expect(try copy.json()["name"] == "verification-code")
            #expect(try copy.json()["tenantId"]?.stringValue == target.id)
            // The copy starts its own history with the source's current state.
            let versions = try await api.call("GET", "/api/v0/notifications/templates/\(pointed)/versions", target.keys)
            #expect(try versions.json()["data"]?.arrayValue?.count == 1)
            // The target's own custom-2 was not overwritten.
            let list = try await api.call("GET", "/api/v0/tenants/\(target.id)/notifications/templates?type=sms", target.keys)
            let mine = try list.json()["data"]?.arrayValue?.first { $0["name"] == "custom-2" }
            #expect(mine?["body"]?["text"] == "mine")
        }
    }

    @Test func aThousandTemplatesCloneAtomically() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "bulk@example.com")
            let source = try await api.tenant(owner: owner, name: "Bulk Source")
            let target = try await api.tenant(owner: owner, name: "Bulk Target")
            let broken = try await api.tenant(owner: owner, name: "Broken Target")
            try await api.pool.withConnection { connection in
                _ = try connection.query("""
                    INSERT INTO notification_templates (id, tenant_id, name, type, body)
                    SELECT 'cbulk' || lpad(g::text, 20, '0'), $1, 'bulk-' || lpad(g::text, 4, '0'), 'sms',
                           jsonb_build_object('text', 'message ' || g || ' {{code}}')
                    FROM generate_series(1, 1000) g
                    """, [source.id])
                // A failure injected mid-way: the 600th copy into the broken target is refused.
                _ = try connection.execute("""
                    CREATE FUNCTION refuse_600() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                      IF NEW.tenant_id = '\(broken.id)' AND NEW.name = 'bulk-0600' THEN
                        RAISE EXCEPTION 'injected failure';
                      END IF;
                      RETURN NEW;
                    END $$;
                    CREATE TRIGGER refuse_600 BEFORE INSERT ON notification_templates
                      FOR EACH ROW EXECUTE FUNCTION refuse_600();
                    """)
            }
            func count(_ tenant: String) async throws -> Int {
                try await api.pool.withConnection { connection in
                    try connection.query("SELECT count(*) FROM notification_templates WHERE tenant_id = $1", [tenant])[0]
                        .decode(0, as: Int.self)
                }
            }
            let brokenBefore = try await count(broken.id)
            let failed = try await api.call("POST", "/api/v0/notifications/templates/clone-all-to-tenant", owner,
                                            json: #"{"fromTenantId":"\#(source.id)","toTenantId":"\#(broken.id)"}"#)
            #expect(failed.status == 500)
            #expect(try failed.json()["code"] == "INTERNAL_SERVER_ERROR")
            #expect(try await count(broken.id) == brokenBefore, "an error copies nothing")

            let cloned = try await api.call("POST", "/api/v0/notifications/templates/clone-all-to-tenant", owner,
                                            json: #"{"fromTenantId":"\#(source.id)","toTenantId":"\#(target.id)"}"#)
            #expect(cloned.status == 200)
            #expect(try cloned.json()["successes"]?.arrayValue?.count == 1000)
            let (copied, original) = (try await count(target.id), try await count(source.id))
            #expect(copied == original)
        }
    }
}
