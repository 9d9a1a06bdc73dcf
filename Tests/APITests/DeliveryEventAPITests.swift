import Crypto
import Foundation
import HeraldTestSupport
import JSON
import Testing

/// The delivery-event receivers (issue 14) against a served Herald: each
/// provider's documented example payloads, signed in the test the way the
/// provider documents, and every way a request can be refused.
@Suite struct DeliveryEventAPITests {
    static let publicURL = "https://herald.example"

    static func postmark(_ api: APIHarness, tenant: TestTenant? = nil) async throws -> EventFixture {
        try await EventFixture.make(api, provider: "email_postmark", settings: """
            {"serverToken":"pm-token","from":"noreply@herald.test","webhookUsername":"postmark","webhookPassword":"s3cret pass:word"}
            """, tenant: tenant)
    }

    @Test func postmarkEventsBecomeTheDeliveryStatusOnceEach() async throws {
        try await APIHarness.with(settings: ["HERALD_PUBLIC_URL": Self.publicURL]) { api in
            let postmark = try await Self.postmark(api)
            let id = try await postmark.send(api, to: "Bounce@Example.com")
            let auth = ProviderSigning.basic("postmark", "s3cret pass:word")

            // The secret is sealed and masked like the channel's other secrets.
            let shown = try await api.call("GET", "/api/v0/notifications/channels/\(postmark.channelId)", postmark.tenant.keys).json()
            #expect(shown["providerSettings"]?["webhookPassword"] == "********")
            #expect(shown["providerSettings"]?["webhookUsername"] == "postmark")

            let delivered = try await postmark.post(api, DeliveryEventFixtures.postmarkDelivery(id, "bounce@example.com"), headers: [auth])
            #expect(delivered.status == 200, "\(delivered.bodyString)")
            #expect(try delivered.json()["recorded"] == 1)
            var notification = try await postmark.notification(api, id)
            #expect(notification["deliveryStatus"] == "delivered")
            #expect(notification["deliveryDetail"] == "Test delivery webhook details")
            #expect(notification["deliveryUpdatedAt"]?.stringValue != nil)

            // A hard bounce after the delivery (an MX that accepted, then bounced): bounced, and suppressed.
            let bounce = DeliveryEventFixtures.postmarkBounce(id, "Bounce@Example.com")
            for _ in 0..<2 {
                let response = try await postmark.post(api, bounce, headers: [auth])
                #expect(response.status == 200, "\(response.bodyString)")
            }
            // Opened later: still bounced.
            #expect(try await postmark.post(api, DeliveryEventFixtures.postmarkOpen(id, "bounce@example.com"), headers: [auth]).status == 200)
            notification = try await postmark.notification(api, id)
            #expect(notification["deliveryStatus"] == "bounced")
            #expect(notification["deliveryDetail"]?.stringValue?.hasPrefix("HardBounce: The server was unable") == true)
            let events = try #require(notification["events"]?.arrayValue)
            #expect(events.map { $0["kind"]?.stringValue ?? "" } == ["delivered", "bounced", "opened"])
            #expect(events.allSatisfy { $0["provider"] == "email_postmark" })
            #expect(events.map { $0["occurredAt"]?.stringValue ?? "" }
                    == ["2019-11-05T16:33:54.907Z", "2019-11-05T16:35:10.500Z", "2019-11-05T16:40:00.250Z"])
            #expect(try await postmark.eventCount(api) == 3, "the bounce sent twice is recorded once")
            #expect(try await postmark.suppressions(api) == ["bounce@example.com hard_bounce"])

            // A complaint on another notification suppresses its address too.
            let other = try await postmark.send(api, to: "angry@example.com")
            #expect(try await postmark.post(api, DeliveryEventFixtures.postmarkSpamComplaint(other, "angry@example.com"), headers: [auth]).status == 200)
            #expect(try await postmark.notification(api, other)["deliveryStatus"] == "complained")
            #expect(try await postmark.suppressions(api) == ["angry@example.com complaint", "bounce@example.com hard_bounce"])

            // Stats count delivery statuses as more figures of the contract's shape.
            let stats = try await api.contractCall("GET", "/api/v0/notifications/stats?tenantId=\(postmark.tenant.id)", postmark.tenant.keys)
            let figures = try stats.json().arrayValue ?? []
            #expect(figures.first { $0["name"] == "Bounced" }?["value"] == 1)
            #expect(figures.first { $0["name"] == "Complained" }?["value"] == 1)
        }
    }

    @Test func unsignedMissignedAndUnknownAreRefusedAndNothingIsRecorded() async throws {
        try await APIHarness.with { api in
            let postmark = try await Self.postmark(api)
            let id = try await postmark.send(api, to: "user@example.com")
            let body = DeliveryEventFixtures.postmarkBounce(id, "user@example.com")
            for headers in [[], [ProviderSigning.basic("postmark", "wrong")], [ProviderSigning.basic("other", "s3cret pass:word")],
                            [("Authorization", "Bearer s3cret")]] {
                let response = try await postmark.post(api, body, headers: headers)
                #expect(response.status == 401, "\(headers): \(response.bodyString)")
                #expect(try response.json()["code"] == "UNAUTHORIZED")
            }
            // No such channel, a malformed id, a channel whose provider sends no events: the same 401.
            let auth = ProviderSigning.basic("postmark", "s3cret pass:word")
            for path in ["/api/v0/notifications/events/c\(String(repeating: "0", count: 24))", "/v0/notifications/events/nope",
                         "/api/v0/notifications/events/\(postmark.channelId)x"] {
                let response = try await TestHTTPClient.request(port: api.port, method: "POST", path: path,
                                                                headers: [auth], body: Array(body.utf8))
                #expect(response.status == 401, "\(path): \(response.bodyString)")
            }
            #expect(try await postmark.eventCount(api) == 0)
            #expect(try await postmark.suppressions(api).isEmpty)
            #expect(try await postmark.notification(api, id)["deliveryStatus"] == .null)

            // Signed but not a Postmark event: 400. Too large: 413.
            let junk = try await postmark.post(api, #"{"nothing":"here"}"#, headers: [auth])
            #expect(junk.status == 400, "\(junk.bodyString)")
            #expect(try await postmark.post(api, "not json", headers: [auth]).status == 400)
            let huge = try await postmark.post(api, String(repeating: " ", count: 600 * 1024) + "{}", headers: [auth])
            #expect(huge.status == 413)
            // Under /v0 as under /api/v0.
            let alias = try await TestHTTPClient.request(port: api.port, method: "POST", path: "/v0/notifications/events/\(postmark.channelId)",
                                                         headers: [auth], body: Array(body.utf8))
            #expect(alias.status == 200, "\(alias.bodyString)")

            let metrics = try await TestHTTPClient.request(port: api.port, method: "GET", path: "/metrics").bodyString
            #expect(metrics.contains(#"herald_delivery_events_total{provider="email_postmark",outcome="unauthorized"} 4"#), "\(metrics)")
            #expect(metrics.contains(#"herald_delivery_events_total{provider="unknown",outcome="unauthorized"} 3"#))
            #expect(metrics.contains(#"herald_delivery_events_total{provider="email_postmark",outcome="recorded"} 1"#))
        }
    }

    @Test func anEventNamingAnotherTenantsNotificationChangesNothingThere() async throws {
        try await APIHarness.with { api in
            let victim = try await Self.postmark(api)
            let victimId = try await victim.send(api, to: "victim@example.com")
            let attacker = try await Self.postmark(api)
            let auth = ProviderSigning.basic("postmark", "s3cret pass:word")
            // The attacker's own channel, correctly signed, naming the victim's notification.
            let response = try await attacker.post(api, DeliveryEventFixtures.postmarkBounce(victimId, "victim@example.com"), headers: [auth])
            #expect(response.status == 200, "accepted, so the provider does not retry: \(response.bodyString)")
            #expect(try await victim.notification(api, victimId)["deliveryStatus"] == .null)
            #expect(try await victim.notification(api, victimId)["events"] == [])
            #expect(try await victim.suppressions(api).isEmpty)
            #expect(try await attacker.suppressions(api).isEmpty, "unmatched events suppress nobody")
            #expect(try await attacker.eventCount(api) == 1)
            // The victim's channel's password does not open the attacker's channel or the reverse: each is its own.
            #expect(try await victim.post(api, DeliveryEventFixtures.postmarkBounce(victimId, "victim@example.com", id: 7),
                                          headers: [ProviderSigning.basic("postmark", "nope")]).status == 401)
        }
    }

    @Test func eventSettingsAreCheckedWhenSavedAndEachRecordedEventIsLogged() async throws {
        final class Lines: @unchecked Sendable {
            private let lock = NSLock()
            private var stored: [String] = []
            func add(_ line: String) { lock.withLock { stored.append(line) } }
            var all: [String] { lock.withLock { stored } }
        }
        let lines = Lines()
        try await APIHarness.with(logLevel: .info, logSink: { lines.add($0) }) { api in
            let tenant = try await api.tenant(owner: try await api.token(email: "event-settings@example.com"))
            for (provider, type, settings, field) in [
                ("webhook", "webhook", #"{"url":"http://127.0.0.1:9/x","deliveryEvents":"yes"}"#, "providerSettings.deliveryEvents"),
                ("email_resend", "email", #"{"apiKey":"k","from":"a@herald.test","webhookSecret":"whsec_!!!"}"#, "providerSettings.webhookSecret"),
            ] {
                let response = try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
                    {"tenantId":"\(tenant.id)","name":"n","key":"k","type":"\(type)","provider":"\(provider)","providerSettings":\(settings)}
                    """)
                #expect(response.status == 400 && response.bodyString.contains(field), "\(response.bodyString)")
            }
            let postmark = try await Self.postmark(api, tenant: tenant)
            let id = try await postmark.send(api, to: "logged@example.com")
            let response = try await postmark.post(api, DeliveryEventFixtures.postmarkDelivery(id, "logged@example.com"),
                                                   headers: [ProviderSigning.basic("postmark", "s3cret pass:word")])
            #expect(response.status == 200)
            let logged = lines.all.filter { $0.contains("delivery event recorded") }
            #expect(logged.count == 1 && logged[0].contains(id) && logged[0].contains("delivered"), "\(lines.all)")
            #expect(!lines.all.contains { $0.contains("s3cret") }, "the password never reaches the log")
        }
    }

    @Test func sendGridSignedBatchesVerifyWithTheChannelsP256Key() async throws {
        try await APIHarness.with { api in
            let key = try KeyPair.generate(.es256)
            let publicKey = Base64.encode(try ECDSA.publicKeyDER(privateKeyPEM: key.privateKeyPEM))
            let sendgrid = try await EventFixture.make(api, provider: "email_sendgrid", settings: """
                {"apiKey":"SG.key","from":"noreply@herald.test","webhookPublicKey":"\(publicKey)"}
                """)
            let id = try await sendgrid.send(api, to: "gone@example.com")
            let batch = DeliveryEventFixtures.sendGridBatch(id, "gone@example.com")

            // Signed by another key, stale, unsigned, or the body changed after signing: 401, nothing recorded.
            let stranger = try KeyPair.generate(.es256)
            let refused: [[(String, String)]] = [
                try ProviderSigning.sendGrid(batch, privateKeyPEM: stranger.privateKeyPEM),
                try ProviderSigning.sendGrid(batch, privateKeyPEM: key.privateKeyPEM, timestamp: ProviderSigning.now() - 600),
                [],
                try ProviderSigning.sendGrid(batch + " ", privateKeyPEM: key.privateKeyPEM),
            ]
            for headers in refused {
                #expect(try await sendgrid.post(api, batch, headers: headers).status == 401)
            }
            #expect(try await sendgrid.eventCount(api) == 0)

            let accepted = try await sendgrid.post(api, batch, headers: try ProviderSigning.sendGrid(batch, privateKeyPEM: key.privateKeyPEM))
            #expect(accepted.status == 200, "\(accepted.bodyString)")
            #expect(try accepted.json()["received"] == 4)
            // SendGrid retries a batch it got no 2xx for: the same events again are recorded once.
            let again = try await sendgrid.post(api, batch, headers: try ProviderSigning.sendGrid(batch, privateKeyPEM: key.privateKeyPEM))
            #expect(try again.json()["recorded"] == 0)
            let notification = try await sendgrid.notification(api, id)
            #expect(notification["deliveryStatus"] == "bounced")
            #expect(notification["deliveryDetail"] == "5.0.0 500 unknown recipient")
            #expect(notification["events"]?.arrayValue?.map { $0["kind"]?.stringValue ?? "" } == ["other", "delivered", "opened", "bounced"])
            #expect(try await sendgrid.suppressions(api) == ["gone@example.com hard_bounce"])

            let complainer = try await sendgrid.send(api, to: "spam@example.com")
            let report = DeliveryEventFixtures.sendGridSpamReport(complainer, "spam@example.com")
            #expect(try await sendgrid.post(api, report, headers: try ProviderSigning.sendGrid(report, privateKeyPEM: key.privateKeyPEM)).status == 200)
            #expect(try await sendgrid.notification(api, complainer)["deliveryStatus"] == "complained")

            // A `blocked` bounce is soft: no suppression.
            let blockedId = try await sendgrid.send(api, to: "blocked@example.com")
            let blocked = DeliveryEventFixtures.sendGridBatch(blockedId, "blocked@example.com", bounceType: "blocked")
                .replacingOccurrences(of: "==\"", with: "=x\"")  // other event ids
            #expect(try await sendgrid.post(api, blocked, headers: try ProviderSigning.sendGrid(blocked, privateKeyPEM: key.privateKeyPEM)).status == 200)
            #expect(try await sendgrid.notification(api, blockedId)["deliveryStatus"] == "opened", "opened outranks a soft bounce")
            #expect(!(try await sendgrid.suppressions(api)).contains { $0.hasPrefix("blocked@") })

            // A key that is not P-256 is refused when the channel is saved.
            let bad = try await api.call("PUT", "/api/v0/notifications/channels/\(sendgrid.channelId)", sendgrid.tenant.keys, json: """
                {"providerSettings":{"apiKey":"SG.key","from":"noreply@herald.test","webhookPublicKey":"bm90IGEga2V5"}}
                """)
            #expect(bad.status == 400 && bad.bodyString.contains("webhookPublicKey"), "\(bad.bodyString)")
        }
    }

    @Test func resendSvixSignaturesWithEitherHeaderNames() async throws {
        try await APIHarness.with { api in
            let secret = ProviderSigning.newSecret()
            let resend = try await EventFixture.make(api, provider: "email_resend", settings: """
                {"apiKey":"re_key","from":"noreply@herald.test","webhookSecret":"\(secret)"}
                """)
            #expect(try await api.call("GET", "/api/v0/notifications/channels/\(resend.channelId)", resend.tenant.keys)
                .json()["providerSettings"]?["webhookSecret"] == "********")
            let id = try await resend.send(api, to: "delivered@resend.dev")
            let delivered = DeliveryEventFixtures.resend("email.delivered", id, "delivered@resend.dev")
            #expect(try await resend.post(api, delivered, headers: try ProviderSigning.standardWebhooks(
                delivered, secret: secret, id: "msg_1", timestamp: ProviderSigning.now() - 400)).status == 401, "stale")
            #expect(try await resend.post(api, delivered, headers: try ProviderSigning.standardWebhooks(
                delivered, secret: ProviderSigning.newSecret(), id: "msg_1")).status == 401, "another secret")
            #expect(try await resend.eventCount(api) == 0)

            for _ in 0..<2 {
                #expect(try await resend.post(api, delivered, headers: try ProviderSigning.standardWebhooks(delivered, secret: secret, id: "msg_1")).status == 200)
            }
            #expect(try await resend.eventCount(api) == 1, "Svix retries keep the message id")
            let bounced = DeliveryEventFixtures.resend("email.bounced", id, "delivered@resend.dev")
            let response = try await resend.post(api, bounced, headers: try ProviderSigning.standardWebhooks(
                bounced, secret: secret, id: "msg_2", prefix: "webhook"))
            #expect(response.status == 200, "\(response.bodyString)")
            let notification = try await resend.notification(api, id)
            #expect(notification["deliveryStatus"] == "bounced")
            #expect(notification["deliveryDetail"]?.stringValue?.hasPrefix("Permanent: Suppressed: The recipient's email provider") == true)
            #expect(try await resend.suppressions(api) == ["delivered@resend.dev hard_bounce"])
        }
    }

    @Test func twilioSignsThePublicURLAndTheSortedParameters() async throws {
        try await APIHarness.with(settings: ["HERALD_PUBLIC_URL": Self.publicURL]) { api in
            let twilio = try await EventFixture.make(api, provider: "sms_twilio", type: "sms", settings: """
                {"accountSid":"AC030f8a7c9b6d4e5f8a9b0c1d2e3f4a5b","authToken":"twilio-auth-token","from":"+15017250604"}
                """)
            let id = try await twilio.send(api, to: "+15558675310")
            let query = "?notificationId=\(id)"
            let url = Self.publicURL + twilio.path + query
            let form = DeliveryEventFixtures.twilio(status: "delivered", to: "+15558675310")
            let body = ProviderSigning.form(form)
            let contentType = "application/x-www-form-urlencoded"

            // Signed over the URL the Host header names, or with another token: refused.
            let local = "http://127.0.0.1:\(api.port)" + twilio.path + query
            for signature in [ProviderSigning.twilio(url: local, form: form, authToken: "twilio-auth-token"),
                              ProviderSigning.twilio(url: url, form: form, authToken: "other-token")] {
                #expect(try await twilio.post(api, body, headers: [signature], query: query, contentType: contentType).status == 401)
            }
            // The notification id is part of what is signed: another id in the query does not verify.
            let signed = ProviderSigning.twilio(url: url, form: form, authToken: "twilio-auth-token")
            #expect(try await twilio.post(api, body, headers: [signed], query: "?notificationId=c000000000000000000000000",
                                          contentType: contentType).status == 401)
            #expect(try await twilio.eventCount(api) == 0)

            for _ in 0..<2 {
                let response = try await twilio.post(api, body, headers: [signed], query: query, contentType: contentType)
                #expect(response.status == 200, "\(response.bodyString)")
            }
            #expect(try await twilio.eventCount(api) == 1)
            #expect(try await twilio.notification(api, id)["deliveryStatus"] == "delivered")

            let failed = DeliveryEventFixtures.twilio(status: "undelivered", to: "+15558675310", errorCode: "30005")
            let failedResponse = try await twilio.post(api, ProviderSigning.form(failed),
                headers: [ProviderSigning.twilio(url: url, form: failed, authToken: "twilio-auth-token")], query: query, contentType: contentType)
            #expect(failedResponse.status == 200)
            let notification = try await twilio.notification(api, id)
            #expect(notification["deliveryStatus"] == "bounced")
            #expect(notification["deliveryDetail"] == "undelivered (error 30005)")
            #expect(try await twilio.suppressions(api) == ["+15558675310 hard_bounce"])
        }
    }

    @Test func heraldsOwnFormatForRelaysMapsByIdOrMessageID() async throws {
        try await APIHarness.with { api in
            let secret = ProviderSigning.newSecret()
            let relay = try await EventFixture.make(api, provider: "email_pxyz", settings: #"{"webhookSecret":"\#(secret)"}"#)
            let first = try await relay.send(api, to: "a@example.com")
            let second = try await relay.send(api, to: "b@example.com")
            let body = """
                [{"id":"evt_1","type":"delivered","notificationId":"\(first)","recipient":"a@example.com","occurredAt":"2026-12-07T10:00:00Z"},
                 {"id":"evt_2","type":"bounced","messageId":"<\(second)@herald.test>","recipient":"b@example.com",
                  "detail":"550 5.1.1 no such user","occurredAt":"2026-12-07T10:00:01.5+01:00"}]
                """
            let response = try await relay.post(api, body, headers: try ProviderSigning.standardWebhooks(body, secret: secret, id: "batch_1", prefix: "webhook"))
            #expect(response.status == 200, "\(response.bodyString)")
            #expect(try await relay.notification(api, first)["deliveryStatus"] == "delivered")
            let bounced = try await relay.notification(api, second)
            #expect(bounced["deliveryStatus"] == "bounced")
            #expect(bounced["events"]?[0]?["occurredAt"] == "2026-12-07T09:00:01.500Z")
            #expect(try await relay.suppressions(api) == ["b@example.com hard_bounce"])
            let wrongType = #"[{"id":"evt_3","type":"exploded"}]"#
            #expect(try await relay.post(api, wrongType, headers: try ProviderSigning.standardWebhooks(
                wrongType, secret: secret, id: "batch_2", prefix: "webhook")).status == 400)
        }
    }
}

extension JSONValue {
    /// An array element, for reading answers.
    subscript(index: Int) -> JSONValue? {
        guard let array = arrayValue, array.indices.contains(index) else { return nil }
        return array[index]
    }
}
