import Foundation
import HeraldTestSupport
import JSON
import Postgres
import Testing

/// The suppression list at send time (issue 14), end to end: the API, the
/// real worker, the relay (HERALD_SMTP_URL) and a real SMTP server on
/// loopback. A suppressed address gets nothing and the SMTP server sees no
/// connection; the caller's own answer never changes.
@Suite(.serialized) struct SuppressionDeliveryTests {
    static let suppressions = "/api/v0/notifications/suppressions"

    @Test func aSuppressedAddressGetsNothingUntilItIsRemovedAndOthersStillGetTheirs() async throws {
        try await EndToEndHarness.with { e2e in
            let tenant = try await e2e.tenant(owner: try await e2e.token(email: "owner@example.com"))
            try await Self.emailChannelAndTemplate(tenant, e2e)
            let suppressed = try await e2e.call("POST", Self.suppressions, tenant.keys,
                                                json: #"{"tenantId":"\#(tenant.id)","address":"Blocked@Example.com"}"#)
            try #require(suppressed.status == 200, "\(suppressed.bodyString)")
            let suppressionId = try #require(try suppressed.json()["data"]?["id"]?.stringValue)

            // Matched whatever the case: failed, reason suppressed, no provider contacted.
            let first = try await Self.send(to: #"["blocked@EXAMPLE.COM"]"#, tenant, e2e)
            let failed = try await e2e.settled(notification: first, tenant.keys)
            #expect(failed["status"]?.stringValue == "failed", "\(failed.jsonString)")
            #expect(failed["lastError"]?.stringValue == "suppressed: blocked@EXAMPLE.COM (manual)", "\(failed.jsonString)")
            let attempts = failed["deliveryAttempts"]?.arrayValue ?? []
            #expect(attempts.count == 1 && attempts.first?["outcome"]?.stringValue == "failed", "\(attempts)")
            #expect(try await Self.deliveryStatus(first, e2e) == "suppressed")
            #expect(try Self.connections(e2e.smtp) == 0, "the SMTP server saw a connection for a suppressed address")
            #expect(try e2e.smtp.messages().isEmpty)

            // Partly suppressed: the message goes to the others only, cc and bcc included.
            try #require(try await e2e.call("POST", Self.suppressions, tenant.keys,
                json: #"{"tenantId":"\#(tenant.id)","address":"copy-blocked@example.com"}"#).status == 200)
            let partial = try await Self.send(
                to: #"{"to":["ann@example.com","blocked@example.com"],"cc":["Copy-Blocked@example.com","cc@example.com"],"bcc":["bcc@example.com"]}"#,
                tenant, e2e, key: "to")
            let received = try await e2e.smtp.waitForMessages { !$0.isEmpty }
            #expect(received.count == 1)
            #expect(Set(received[0].recipients) == ["ann@example.com", "cc@example.com", "bcc@example.com"],
                    "\(received[0].recipients)")
            #expect(received[0].addresses("To") == ["ann@example.com"])
            #expect(received[0].addresses("Cc") == ["cc@example.com"])
            let sent = try await e2e.settled(notification: partial, tenant.keys)
            #expect(sent["status"]?.stringValue == "sent" && sent["lastError"]?.isNull == true, "\(sent.jsonString)")
            #expect(sent["deliveryAttempts"]?.arrayValue?.first?["error"]?.stringValue
                    == "not sent to suppressed recipients: blocked@example.com (manual), Copy-Blocked@example.com (manual)",
                    "\(sent.jsonString)")
            #expect(try await Self.deliveryStatus(partial, e2e) == nil)

            // Removed from the list: the next send goes out.
            #expect(try await e2e.call("DELETE", "\(Self.suppressions)/\(suppressionId)", tenant.keys).status == 200)
            let after = try await Self.send(to: #"["Blocked@example.com"]"#, tenant, e2e)
            let arrived = try await e2e.smtp.waitForMessages { $0.count >= 2 }
            #expect(arrived.last?.recipients == ["Blocked@example.com"])
            #expect(try await e2e.settled(notification: after, tenant.keys)["status"]?.stringValue == "sent")
        }
    }

    @Test func aVerificationCodeForASuppressedAddressAnswersAsBeforeAndIsNotSent() async throws {
        try await EndToEndHarness.with { e2e in
            let tenant = try await e2e.tenant(owner: try await e2e.token(email: "owner@example.com"))
            try #require(try await e2e.call("POST", Self.suppressions, tenant.keys,
                json: #"{"tenantId":"\#(tenant.id)","address":"ada@example.com","detail":"bounced"}"#).status == 200)
            let user = try await e2e.contractCall("POST", "/api/v0/auth/users", tenant.keys,
                                                  json: #"{"tenantId":"\#(tenant.id)","name":"Ada Lovelace"}"#)
            let userId = try #require(try user.json()["id"]?.stringValue)

            // The answer is the contract's, as for any address: nothing says it was suppressed.
            let added = try await e2e.contractCall("POST", "/api/v0/auth/email-addresses", tenant.keys,
                json: #"{"tenantId":"\#(tenant.id)","userId":"\#(userId)","email":"Ada@example.com"}"#)
            #expect(added.status == 200, "\(added.bodyString)")
            #expect(try added.json()["email"]?.stringValue == "Ada@example.com")
            #expect(try added.json()["verifiedAt"]?.isNull == true)

            let ids = try await e2e.notificationIds(to: "Ada@example.com", tenantId: tenant.id)
            try #require(ids.count == 1, "\(ids)")
            let notification = try await e2e.settled(notification: ids[0], tenant.keys)
            #expect(notification["status"]?.stringValue == "failed", "\(notification.jsonString)")
            #expect(notification["lastError"]?.stringValue == "suppressed: Ada@example.com (manual)")
            #expect(try await Self.deliveryStatus(ids[0], e2e) == "suppressed")

            // Another address of the tenant still gets its code: the worker ran, and sent nothing to Ada.
            _ = try await e2e.contractCall("POST", "/api/v0/auth/email-addresses", tenant.keys,
                json: #"{"tenantId":"\#(tenant.id)","userId":"\#(userId)","email":"ada.other@example.com"}"#)
            let received = try await e2e.smtp.waitForMessages { !$0.isEmpty }
            #expect(received.map(\.recipients) == [["ada.other@example.com"]])
        }
    }

    // MARK: helpers

    /// An `email_pxyz` channel `mail` through the relay and an e-mail template `hello`.
    static func emailChannelAndTemplate(_ tenant: TestTenant, _ e2e: EndToEndHarness) async throws {
        let channel = try await e2e.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
            {"tenantId":"\(tenant.id)","name":"Mail","key":"mail","type":"email","provider":"email_pxyz","providerSettings":{}}
            """)
        try #require(channel.status == 200, "\(channel.bodyString)")
        let template = try await e2e.call("POST", "/api/v0/notifications/templates", tenant.keys, json: """
            {"tenantId":"\(tenant.id)","type":"email","name":"hello","subject":"Hello","body":"<p>Hello {{name}}</p>"}
            """)
        try #require(template.status == 200, "\(template.bodyString)")
    }

    /// Sends `hello` through `mail`; `to` is the JSON of `input.to`, or of the whole `input` when `key` is "to".
    static func send(to recipients: String, _ tenant: TestTenant, _ e2e: EndToEndHarness,
                     key: String? = nil) async throws -> String {
        let input = key == nil ? #"{"to":\#(recipients)}"# : recipients
        let sent = try await e2e.call("POST", "/api/v0/notifications/send", tenant.keys, json: """
            {"tenantId":"\(tenant.id)","template":"hello","channel":"mail","variables":{"name":"Ann"},"input":\(input)}
            """)
        try #require(sent.status == 200, "\(sent.bodyString)")
        return String(try #require(sent.headers["location"]?.split(separator: "/").last))
    }

    static func deliveryStatus(_ id: String, _ e2e: EndToEndHarness) async throws -> String? {
        try await e2e.pool.withConnection { connection in
            try connection.query("SELECT delivery_status FROM notifications WHERE id = $1", [id])[0]
                .decode("delivery_status", as: String?.self)
        }
    }

    /// TCP connections the SMTP peer accepted (it appends a line to connections.log for each).
    static func connections(_ smtp: TestSMTPServer) throws -> Int {
        let log = smtp.directory.appendingPathComponent("connections.log").path
        guard let data = FileManager.default.contents(atPath: log) else { return 0 }
        return data.reduce(0) { $1 == 10 ? $0 + 1 : $0 }
    }
}
