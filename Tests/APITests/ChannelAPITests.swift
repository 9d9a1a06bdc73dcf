import Foundation
import HeraldCore
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

    // MARK: issue 11: settings checked when saved, as the worker checks them when sending

    /// The messages of a 400's issues.
    func issues(_ response: TestHTTPClient.Response) throws -> [String] {
        try response.json()["issues"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
    }

    func channelJSON(_ tenantId: String, key: String, provider: String, type: String, settings: String) -> String {
        """
        {"tenantId":"\(tenantId)","name":"\(key)","key":"\(key)","type":"\(type)","provider":"\(provider)","providerSettings":\(settings)}
        """
    }

    @Test func addressesHeraldNeverConnectsToAreRefusedWhenSaved() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "chan-ssrf@example.com")
            let tenant = try await api.tenant(owner: owner)
            let cases: [(provider: String, type: String, settings: String, field: String)] = [
                ("webhook", "webhook", #"{"url":"http://169.254.169.254/latest/meta-data/"}"#, "providerSettings.url"),
                ("webhook", "webhook", #"{"url":"http://2130706433/"}"#, "providerSettings.url"),
                ("webhook", "webhook", #"{"url":"http://0x7f.1:5432/"}"#, "providerSettings.url"),
                ("webhook", "webhook", #"{"url":"http://[fe80::1]/hook"}"#, "providerSettings.url"),
                ("webhook", "webhook", #"{"url":"http://0.0.0.0:5432/"}"#, "providerSettings.url"),
                ("webhook", "webhook", #"{"url":"http://[::ffff:169.254.169.254]/"}"#, "providerSettings.url"),
                ("email_pxyz", "email", #"{"host":"169.254.169.254"}"#, "providerSettings.host"),
                ("email_pxyz", "email", #"{"host":"[fe80::1]"}"#, "providerSettings.host"),
                ("email_pxyz", "email", #"{"host":"0.0.0.0"}"#, "providerSettings.host"),
                ("email_pxyz", "email", #"{"host":"2130706433"}"#, "providerSettings.host"),
                ("chat_slack", "chat", #"{"webhookUrl":"http://169.254.169.254/hooks"}"#, "providerSettings.webhookUrl"),
                ("email_postmark", "email", #"{"serverToken":"t","from":"a@example.com","baseUrl":"http://[fd00:ec2::254]/"}"#,
                 "providerSettings.baseUrl"),
                ("sms_pxyz", "sms", #"{"url":"http://224.0.0.1/sms"}"#, "providerSettings.url"),
            ]
            for (index, item) in cases.enumerated() {
                let response = try await api.contractCall("POST", "/api/v0/notifications/channels", tenant.keys,
                                                          json: channelJSON(tenant.id, key: "ssrf-" + String(repeating: "x", count: index + 1), provider: item.provider,
                                                                            type: item.type, settings: item.settings))
                #expect(response.status == 400, "\(item.settings): \(response.bodyString)")
                #expect(try issues(response).contains { $0.hasPrefix(item.field + ":") }, "\(item.settings): \(response.bodyString)")
            }
            // Loopback and private literals may be allowed by the operator: saved, judged when sending.
            for (index, url) in ["http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://[::1]/hook"].enumerated() {
                let response = try await api.contractCall("POST", "/api/v0/notifications/channels", tenant.keys,
                                                          json: channelJSON(tenant.id, key: "internal-" + String(repeating: "x", count: index + 1), provider: "webhook",
                                                                            type: "webhook", settings: #"{"url":"\#(url)"}"#))
                #expect(response.status == 200, "\(url): \(response.bodyString)")
            }
            // An update is checked the same way.
            let list = try await api.call("GET", "/api/v0/tenants/\(tenant.id)/notifications/channels", tenant.keys)
            let id = try #require(try list.json()["data"]?.arrayValue?.first?["id"]?.stringValue)
            let update = try await api.call("PUT", "/api/v0/notifications/channels/\(id)", tenant.keys,
                                            json: #"{"providerSettings":{"url":"http://169.254.169.254/"}}"#)
            #expect(update.status == 400, "\(update.bodyString)")
            #expect(try issues(update).first?.hasPrefix("providerSettings.url:") == true, "\(update.bodyString)")
        }
    }

    @Test func settingsTheWorkerWouldRefuseAreRefusedWhenSaved() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "chan-rules@example.com")
            let tenant = try await api.tenant(owner: owner)
            let cases: [(provider: String, type: String, settings: String, field: String)] = [
                ("email_pxyz", "email", #"{"from":"a@example.com\r\nBcc: victim@example.com"}"#, "providerSettings.from"),
                ("email_pxyz", "email", #"{"from":"a@example.com","fromName":"Herald\r\nBcc: x@example.com"}"#, "providerSettings.fromName"),
                ("email_pxyz", "email", #"{"host":"mail.example.com\r\nRCPT TO:<x@example.com>"}"#, "providerSettings.host"),
                ("email_pxyz", "email", #"{"host":"mail.example.com","username":"u\nAUTH"}"#, "providerSettings.username"),
                ("email_pxyz", "email", #"{"from":"not an address"}"#, "providerSettings.from"),
                ("email_postmark", "email", #"{"serverToken":"t","from":"nobody"}"#, "providerSettings.from"),
                ("email_pxyz", "email", #"{"host":"smtp.example.com","caFile":"/etc/shadow"}"#, "providerSettings.caFile"),
                ("webhook", "webhook", #"{"url":"https://"}"#, "providerSettings.url"),
                ("webhook", "webhook", #"{"url":"https:///path"}"#, "providerSettings.url"),
                ("webhook", "webhook", #"{"url":"file:///etc/passwd"}"#, "providerSettings.url"),
                ("email_resend", "email", #"{"apiKey":"k","from":"a@example.com","baseUrl":"https://"}"#, "providerSettings.baseUrl"),
                ("webhook", "webhook", #"{"url":"https://example.com/h","headers":{"X-Key":"a\r\nX-Injected: 1"}}"#, "providerSettings.headers"),
                ("webhook", "webhook", #"{"url":"https://example.com/h","headers":{"X-Key\r\nX-Injected":"1"}}"#, "providerSettings.headers"),
                ("webhook", "webhook", #"{"url":"https://example.com/h","headers":{"Host":"internal.example"}}"#, "providerSettings.headers"),
                ("webhook", "webhook", #"{"url":"https://example.com/h","headers":{"Content-Length":"0"}}"#, "providerSettings.headers"),
                ("webhook", "webhook", #"{"url":"https://example.com/h","headers":{"transfer-encoding":"chunked"}}"#, "providerSettings.headers"),
                ("webhook", "webhook", #"{"url":"https://example.com/h","headers":{"Connection":"close"}}"#, "providerSettings.headers"),
                ("webhook", "webhook", #"{"url":"https://example.com/h","headers":{"Bad Name":"v"}}"#, "providerSettings.headers"),
            ]
            for (index, item) in cases.enumerated() {
                let response = try await api.contractCall("POST", "/api/v0/notifications/channels", tenant.keys,
                                                          json: channelJSON(tenant.id, key: "rules-" + String(repeating: "x", count: index + 1), provider: item.provider,
                                                                            type: item.type, settings: item.settings))
                #expect(response.status == 400, "\(item.settings): \(response.bodyString)")
                #expect(try issues(response).contains { $0.hasPrefix(item.field + ":") }, "\(item.settings): \(response.bodyString)")
            }
            let list = try await api.call("GET", "/api/v0/tenants/\(tenant.id)/notifications/channels", tenant.keys)
            #expect(try list.json()["data"]?.arrayValue?.isEmpty == true, "nothing was stored")
        }
    }

    @Test func webhookHeaderValuesAreSealedAndMasked() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "chan-headers@example.com")
            let tenant = try await api.tenant(owner: owner)
            let created = try await api.contractCall("POST", "/api/v0/notifications/channels", tenant.keys, json: channelJSON(
                tenant.id, key: "hook", provider: "webhook", type: "webhook",
                settings: #"{"url":"https://example.com/h","headers":{"X-Api-Key":"rk_live_4f9a","X-Tenant":"acme-42"}}"#))
            #expect(created.status == 200, "\(created.bodyString)")
            let id = try #require(try created.json()["id"]?.stringValue)
            #expect(try created.json()["providerSettings"]?["headers"] == ["X-Api-Key": "********", "X-Tenant": "********"])
            let read = try await api.contractCall("GET", "/api/v0/notifications/channels/\(id)", tenant.keys)
            #expect(try read.json()["providerSettings"]?["headers"] == ["X-Api-Key": "********", "X-Tenant": "********"])
            #expect(!read.bodyString.contains("rk_live_4f9a") && !read.bodyString.contains("acme-42"))

            func row() async throws -> (settings: String, sealed: String) {
                try await api.pool.withConnection { connection in
                    let row = try connection.query("SELECT provider_settings::text, provider_secrets_enc FROM channels WHERE id = $1", [id])[0]
                    return (try row.decode(0, as: String.self), try row.decode(1, as: String.self))
                }
            }
            let stored = try await row()
            for clear in ["rk_live_4f9a", "acme-42"] {
                #expect(!stored.settings.contains(clear) && !stored.sealed.contains(clear), "\(clear) is stored in clear")
            }
            #expect(try await api.services.store.channelForSending(reference: id, tenantId: tenant.id)?.settings["headers"]
                    == ["X-Api-Key": "rk_live_4f9a", "X-Tenant": "acme-42"])

            // The mask sent back keeps a value; a new value replaces one; a header left out is gone.
            let updated = try await api.contractCall("PUT", "/api/v0/notifications/channels/\(id)", tenant.keys, json: """
                {"providerSettings":{"url":"https://example.com/h","headers":{"X-Api-Key":"********","X-Region":"eu-1"}}}
                """)
            #expect(updated.status == 200, "\(updated.bodyString)")
            #expect(try updated.json()["providerSettings"]?["headers"] == ["X-Api-Key": "********", "X-Region": "********"])
            #expect(try await api.services.store.channelForSending(reference: id, tenantId: tenant.id)?.settings["headers"]
                    == ["X-Api-Key": "rk_live_4f9a", "X-Region": "eu-1"])
            #expect(!(try await row().settings.contains("eu-1")))

            // A channel saved before header values were secrets (clear in the
            // table) is sealed when the worker starts; its other secrets stay.
            try await api.pool.withConnection { connection in
                _ = try connection.query("""
                    UPDATE channels SET provider_settings = jsonb_set(provider_settings, '{headers}',
                      '{"X-Api-Key":"********","X-Old":"legacy-clear-1"}') WHERE id = $1
                    """, [id])
            }
            #expect(try await api.call("GET", "/api/v0/notifications/channels/\(id)", tenant.keys).bodyString.contains("legacy-clear-1"))
            await api.services.sealLegacyChannelSecrets()
            #expect(!(try await row().settings.contains("legacy-clear-1")))
            let after = try await api.call("GET", "/api/v0/notifications/channels/\(id)", tenant.keys)
            #expect(try after.json()["providerSettings"]?["headers"] == ["X-Api-Key": "********", "X-Old": "********"])
            #expect(try await api.services.store.channelForSending(reference: id, tenantId: tenant.id)?.settings["headers"]
                    == ["X-Api-Key": "rk_live_4f9a", "X-Old": "legacy-clear-1"])
        }
    }
}
