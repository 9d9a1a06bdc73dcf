import Foundation
import HeraldTestSupport
import JSON
import Testing

/// The five Channel operations: provider validation, masked secrets, tenancy.
@Suite struct ChannelAPITests {
    @Test func channelsThroughTheContract() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "chan@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            let created = try await api.contractCall("POST", "/api/v0/notifications/channels", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Hooks","key":"hooks.main","type":"webhook","provider":"webhook",
                 "providerSettings":{"url":"https://example.com/hook","secret":"whsec_abc"}}
                """)
            #expect(created.status == 200, "\(created.bodyString)")
            let id = try #require(try created.json()["id"]?.stringValue)
            #expect(try created.json()["providerSettings"] == ["url": "https://example.com/hook", "secret": "********"])
            #expect(!created.bodyString.contains("whsec_abc"))

            let list = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/notifications/channels", tenant.keys)
            #expect(try list.json()["data"]?.arrayValue?.count == 1)
            #expect(try await api.contractCall("GET", "/api/v0/notifications/channels/\(id)", tenant.keys).status == 200)

            // Sending the mask back keeps the secret; a new URL is taken.
            let updated = try await api.contractCall("PUT", "/api/v0/notifications/channels/\(id)", tenant.keys, json: """
                {"name":"Hooks 2","providerSettings":{"url":"https://example.com/v2","secret":"********"}}
                """)
            #expect(try updated.json()["name"] == "Hooks 2")
            let sealed = try await api.pool.withConnection { connection in
                try connection.query("SELECT provider_secrets_enc, provider_settings::text FROM channels WHERE id = $1", [id])[0]
            }
            #expect(try !(sealed.decode(0, as: String.self)).contains("whsec_abc"))
            #expect(try !(sealed.decode(1, as: String.self)).contains("whsec_abc"))
            let secrets = try await api.services.store.channelForSending(reference: "hooks.main", tenantId: tenant.id)
            #expect(secrets?.settings["secret"] == "whsec_abc")
            #expect(secrets?.settings["url"] == "https://example.com/v2")

            #expect(try await api.call("GET", "/api/v0/notifications/channels/\(id)", other.keys).status == 404)
            #expect(try await api.call("DELETE", "/api/v0/notifications/channels/\(id)", other.keys).status == 404)
            let deleted = try await api.contractCall("DELETE", "/api/v0/notifications/channels/\(id)", tenant.keys)
            #expect(try deleted.json()["deleted"] == true)
        }
    }

    @Test func unsupportedProvidersAndBadSettingsAreRefused() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "chan-bad@example.com")
            let tenant = try await api.tenant(owner: owner)
            let ses = try await api.contractCall("POST", "/api/v0/notifications/channels", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"SES","key":"ses","type":"email","provider":"email_aws_ses","providerSettings":{}}
                """)
            #expect(ses.status == 400)
            let message = try ses.json()["issues"]?.arrayValue?.first?["message"]?.stringValue ?? ""
            #expect(message.contains("email_postmark") && message.contains("sms_twilio"), "lists the supported providers")

            let mismatched = try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Twilio","key":"sms","type":"email","provider":"sms_twilio","providerSettings":{"accountSid":"AC1"}}
                """)
            #expect(mismatched.status == 400)
            let issues = try mismatched.json()["issues"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            #expect(issues.contains { $0.hasPrefix("type:") })
            #expect(issues.contains { $0.hasPrefix("providerSettings.authToken:") })
            #expect(issues.contains { $0.hasPrefix("providerSettings.from:") })

            for bad in ["0", "26", "\"3\"", "2.5"] {
                let attempts = try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
                    {"tenantId":"\(tenant.id)","name":"Inbox","key":"inbox-max","type":"inapp","provider":"inapp_pxyz","providerSettings":{"maxAttempts":\(bad)}}
                    """)
                #expect(attempts.status == 400, "maxAttempts \(bad)")
                #expect(try attempts.json()["issues"]?.arrayValue?.first?["message"]?.stringValue?.hasPrefix("providerSettings.maxAttempts") == true)
            }

            let badKey = try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"X","key":"Bad Key!","type":"inapp","provider":"inapp_pxyz","providerSettings":{}}
                """)
            #expect(badKey.status == 400)
            let duplicate = """
                {"tenantId":"\(tenant.id)","name":"Inbox","key":"inbox","type":"inapp","provider":"inapp_pxyz","providerSettings":{}}
                """
            #expect(try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: duplicate).status == 200)
            #expect(try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: duplicate).status == 409)
        }
    }
}
