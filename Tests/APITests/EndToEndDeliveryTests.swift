import Foundation
import HeraldTestSupport
import JSON
import Testing

/// Invitations and verification codes end to end (issue 6): a call to the
/// API queues the message in the change's transaction, the real worker sends
/// it through the relay (HERALD_SMTP_URL) to a real SMTP server on loopback,
/// and the test reads what that server received, parsed by Python's email
/// package. Each test runs on its own database, worker and SMTP server.
@Suite(.serialized) struct EndToEndDeliveryTests {
    static let tenantName = "Northwind Labs"
    static let organizationName = "Blue Harbor Rowing Club"

    @Test func organizationInvitationArrivesWithAWorkingAcceptLink() async throws {
        try await EndToEndHarness.with { e2e in
            let owner = try await e2e.token(email: "owner@example.com")
            let tenant = try await e2e.tenant(owner: owner, name: Self.tenantName)
            let organization = try await e2e.contractCall("POST", "/api/v0/auth/organizations", tenant.keys,
                json: #"{"tenantId":"\#(tenant.id)","name":"\#(Self.organizationName)"}"#)
            try #require(organization.status == 200, "\(organization.bodyString)")
            let organizationId = try #require(try organization.json()["id"]?.stringValue)

            let invited = try await e2e.contractCall("POST", "/api/v0/auth/organization-invitations", tenant.keys,
                json: #"{"organizationId":"\#(organizationId)","email":"invitee@example.com"}"#)
            try #require(invited.status == 200, "\(invited.bodyString)")
            let invitationId = try #require(try invited.json()["id"]?.stringValue)

            let message = try await Self.onlyMessage(to: "invitee@example.com", e2e)
            #expect(message.addresses("To") == ["invitee@example.com"])
            #expect(message.addresses("From") == [EndToEndHarness.sender])
            #expect(message.contentType == "multipart/alternative")
            #expect(message.defects.isEmpty, "\(message.defects)")
            #expect(message.header("Subject")?.contains(Self.organizationName) == true, "\(message.header("Subject") ?? "-")")
            let text = try #require(message.part("text/plain"), "no text part in \(message.raw)")
            let html = try #require(message.part("text/html"), "no HTML part in \(message.raw)")
            for (name, body) in [("text", text), ("HTML", html)] {
                #expect(body.contains(Self.organizationName), "the \(name) part names the organization: \(body)")
                #expect(body.contains(Self.tenantName), "the \(name) part names the tenant: \(body)")
            }

            // The accept link, in both parts, names this invitation and carries a
            // token of which only the digest was stored.
            let prefix = "\(EndToEndHarness.publicURL)/accept-invitation?type=organization&id=\(invitationId)&token="
            let token = try #require(Self.token(after: prefix, in: text), "no accept link \(prefix)… in \(text)")
            #expect(token.count >= 20)
            let htmlLink = html.replacingOccurrences(of: "&amp;", with: "&")
            #expect(Self.token(after: prefix, in: htmlLink) == token, "the HTML part links the same token")
            #expect(try await e2e.store.orgInvitationTokenMatches(id: invitationId, token: token))
            // Change the last character to one it is not (a fixed "x" matched 1 time in 64).
            let altered = String(token.dropLast()) + (token.hasSuffix("x") ? "y" : "x")
            #expect(try await !e2e.store.orgInvitationTokenMatches(id: invitationId, token: altered))
            let stored = try await e2e.pool.withConnection { connection in
                try connection.query("SELECT token_digest FROM organization_invitations WHERE id = $1", [invitationId])[0]
                    .decode(0, as: String?.self)
            }
            #expect(stored != nil && stored != token, "the token is kept only as a digest")
            #expect(!message.raw.contains(stored ?? "-"), "the digest never leaves the database")

            let ids = try await e2e.notificationIds(to: "invitee@example.com", tenantId: tenant.id)
            try #require(ids.count == 1, "\(ids)")
            let notification = try await Self.expectSent(ids[0], message, tenant.keys, e2e)
            // Like the verification code, the accept token is a secret only the
            // invitee should hold: the notification log leaves it out.
            #expect(!notification.jsonString.contains(token))
        }
    }

    @Test func aNewEmailAddressReceivesACodeThatVerifiesIt() async throws {
        try await EndToEndHarness.with { e2e in
            let owner = try await e2e.token(email: "owner@example.com")
            let tenant = try await e2e.tenant(owner: owner, name: Self.tenantName)
            let user = try await e2e.contractCall("POST", "/api/v0/auth/users", tenant.keys,
                                                  json: #"{"tenantId":"\#(tenant.id)","name":"Ada Lovelace"}"#)
            try #require(user.status == 200, "\(user.bodyString)")
            let userId = try #require(try user.json()["id"]?.stringValue)

            let added = try await e2e.contractCall("POST", "/api/v0/auth/email-addresses", tenant.keys,
                json: #"{"tenantId":"\#(tenant.id)","userId":"\#(userId)","email":"ada@example.com"}"#)
            try #require(added.status == 200, "\(added.bodyString)")
            let emailId = try #require(try added.json()["id"]?.stringValue)
            #expect(try added.json()["verifiedAt"]?.isNull == true)

            let message = try await Self.onlyMessage(to: "ada@example.com", e2e)
            #expect(message.addresses("To") == ["ada@example.com"])
            #expect(message.defects.isEmpty, "\(message.defects)")
            let text = try #require(message.part("text/plain"), "no text part in \(message.raw)")
            let html = try #require(message.part("text/html"), "no HTML part in \(message.raw)")
            let code = try #require(Self.sixDigits(in: text), "no 6-digit code in \(text)")
            #expect(html.contains(code), "the HTML part shows the same code")
            #expect(text.contains(Self.tenantName) && html.contains(Self.tenantName))

            let ids = try await e2e.notificationIds(to: "ada@example.com", tenantId: tenant.id)
            try #require(ids.count == 1, "\(ids)")
            let notification = try await Self.expectSent(ids[0], message, tenant.keys, e2e)
            #expect(!notification.jsonString.contains(code), "the code is never shown in the notification log")

            // A wrong code is refused (and counted); the one received verifies.
            let wrong = String(format: "%06d", (Int(code)! + 1) % 1_000_000)
            let refused = try await e2e.call("POST", "/api/v0/auth/email-addresses/verify", tenant.keys,
                                             json: #"{"id":"\#(emailId)","code":"\#(wrong)"}"#)
            #expect(refused.status == 400, "\(refused.bodyString)")
            let still = try await e2e.contractCall("GET", "/api/v0/auth/email-addresses/\(emailId)", tenant.keys)
            #expect(try still.json()["verifiedAt"]?.isNull == true, "a wrong code verifies nothing")

            let verified = try await e2e.contractCall("POST", "/api/v0/auth/email-addresses/verify", tenant.keys,
                                                      json: #"{"id":"\#(emailId)","code":"\#(code)"}"#)
            #expect(verified.status == 200, "\(verified.bodyString)")
            #expect(try verified.json()["verifiedAt"]?.stringValue != nil, "\(verified.bodyString)")
            let read = try await e2e.contractCall("GET", "/api/v0/auth/email-addresses/\(emailId)", tenant.keys)
            #expect(try read.json()["verifiedAt"]?.stringValue != nil, "\(read.bodyString)")
        }
    }

    @Test func aRolledBackUserCreationSendsNothing() async throws {
        try await EndToEndHarness.with { e2e in
            let owner = try await e2e.token(email: "owner@example.com")
            let tenant = try await e2e.tenant(owner: owner, name: Self.tenantName)
            let first = try await e2e.contractCall("POST", "/api/v0/auth/users", tenant.keys,
                json: #"{"tenantId":"\#(tenant.id)","email":"first@example.com","phone":"+14155550123"}"#)
            try #require(first.status == 200, "\(first.bodyString)")
            _ = try await Self.onlyMessage(to: "first@example.com", e2e)

            // The email (and its code's notification) is written before the phone
            // clashes: the whole transaction, the queued message with it, rolls back.
            let clash = try await e2e.call("POST", "/api/v0/auth/users", tenant.keys,
                json: #"{"tenantId":"\#(tenant.id)","email":"rolled-back@example.com","phone":"+14155550123"}"#)
            #expect(clash.status == 409, "\(clash.bodyString)")

            // A later message through the same queue: once it has arrived and the
            // queue is empty, anything the rolled-back call queued would have gone.
            let later = try await e2e.contractCall("POST", "/api/v0/auth/users", tenant.keys,
                json: #"{"tenantId":"\#(tenant.id)","email":"later@example.com"}"#)
            try #require(later.status == 200, "\(later.bodyString)")
            let laterMessage = try await Self.onlyMessage(to: "later@example.com", e2e)
            let laterIds = try await e2e.notificationIds(to: "later@example.com", tenantId: tenant.id)
            try #require(laterIds.count == 1, "\(laterIds)")
            try await Self.expectSent(laterIds[0], laterMessage, tenant.keys, e2e)
            try await Self.waitForEmptyQueue(e2e)

            let received = try e2e.smtp.messages()
            #expect(!received.contains { $0.recipients.contains("rolled-back@example.com") || $0.raw.contains("rolled-back@") },
                    "the rolled-back address got mail: \(received.map(\.recipients))")
            #expect(received.map(\.recipients) == [["first@example.com"], ["later@example.com"]])
            #expect(try await e2e.notificationIds(to: "rolled-back@example.com", tenantId: tenant.id).isEmpty)
            let leftovers = try await e2e.pool.withConnection { connection in
                try connection.query("""
                    SELECT (SELECT count(*) FROM email_addresses WHERE lower(email) = 'rolled-back@example.com')::int,
                           (SELECT count(*) FROM users WHERE tenant_id = $1)::int,
                           (SELECT count(*) FROM verification_codes WHERE tenant_id = $1)::int
                    """, [tenant.id])[0]
            }
            #expect(try leftovers.decode(0, as: Int.self) == 0, "no email address row survives the rollback")
            #expect(try leftovers.decode(1, as: Int.self) == 2, "only the two committed users exist")
            // first@ (email + phone) and later@ (email): three codes, none for the rolled-back address.
            #expect(try leftovers.decode(2, as: Int.self) == 3)
        }
    }

    @Test func aResentInvitationIsANewMessageAndRetiresTheOldLink() async throws {
        try await EndToEndHarness.with { e2e in
            let owner = try await e2e.token(email: "owner@example.com")
            let tenant = try await e2e.tenant(owner: owner, name: Self.tenantName)
            let organization = try await e2e.contractCall("POST", "/api/v0/auth/organizations", tenant.keys,
                json: #"{"tenantId":"\#(tenant.id)","name":"\#(Self.organizationName)"}"#)
            let organizationId = try #require(try organization.json()["id"]?.stringValue)
            let invited = try await e2e.contractCall("POST", "/api/v0/auth/organization-invitations", tenant.keys,
                json: #"{"organizationId":"\#(organizationId)","email":"again@example.com"}"#)
            let invitationId = try #require(try invited.json()["id"]?.stringValue)
            let prefix = "\(EndToEndHarness.publicURL)/accept-invitation?type=organization&id=\(invitationId)&token="
            let first = try await Self.onlyMessage(to: "again@example.com", e2e)
            let firstToken = try #require(Self.token(after: prefix, in: first.part("text/plain") ?? ""))

            try await e2e.ageRateLimits(by: 31)  // past the address's interval (RateLimitAPITests)
            let resent = try await e2e.call("POST", "/api/v0/auth/organization-invitations/\(invitationId)/resend", tenant.keys)
            #expect(resent.status == 200, "\(resent.bodyString)")
            let both = try await e2e.smtp.waitForMessages { $0.filter { $0.recipients == ["again@example.com"] }.count >= 2 }
            let second = try #require(both.filter { $0.recipients == ["again@example.com"] }.last)
            let secondToken = try #require(Self.token(after: prefix, in: second.part("text/plain") ?? ""))
            #expect(secondToken != firstToken)
            #expect(try await e2e.store.orgInvitationTokenMatches(id: invitationId, token: secondToken))
            #expect(try await !e2e.store.orgInvitationTokenMatches(id: invitationId, token: firstToken),
                    "a resend retires the earlier link")

            // Two notifications, each sent once with its own stable Message-ID.
            let ids = try await e2e.notificationIds(to: "again@example.com", tenantId: tenant.id)
            try #require(ids.count == 2, "\(ids)")
            try await Self.expectSent(ids[0], first, tenant.keys, e2e)
            try await Self.expectSent(ids[1], second, tenant.keys, e2e)
            #expect(first.header("Message-ID") != second.header("Message-ID"))
        }
    }

    // MARK: helpers

    /// Waits for the one message to `address` and checks no second copy came.
    static func onlyMessage(to address: String, _ e2e: EndToEndHarness,
                            sourceLocation: SourceLocation = #_sourceLocation) async throws -> ReceivedMessage {
        let received = try await e2e.smtp.waitForMessages { $0.contains { $0.recipients.contains(address) } }
        let matching = received.filter { $0.recipients.contains(address) }
        #expect(matching.count == 1, "one message to \(address), got \(matching.count)", sourceLocation: sourceLocation)
        return matching[0]
    }

    /// The notification ends `sent` after one attempt recorded as sent, and the
    /// message received carries `Message-ID: <notificationId@sender's domain>`.
    @discardableResult
    static func expectSent(_ id: String, _ message: ReceivedMessage, _ keys: Credential, _ e2e: EndToEndHarness,
                           sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let notification = try await e2e.settled(notification: id, keys)
        #expect(notification["status"]?.stringValue == "sent", "\(notification.jsonString)", sourceLocation: sourceLocation)
        #expect(notification["sentAt"]?.stringValue != nil, sourceLocation: sourceLocation)
        let attempts = notification["deliveryAttempts"]?.arrayValue ?? []
        #expect(attempts.count == 1, "\(attempts)", sourceLocation: sourceLocation)
        #expect(attempts.first?["outcome"]?.stringValue == "sent", "\(attempts)", sourceLocation: sourceLocation)
        let expected = "<\(id)@herald.test>"
        #expect(message.header("Message-ID") == expected, "Message-ID \(message.header("Message-ID") ?? "none"), wanted \(expected)",
                sourceLocation: sourceLocation)
        #expect(notification["providerMessageId"]?.stringValue == expected, "\(notification.jsonString)",
                sourceLocation: sourceLocation)
        return notification
    }

    /// Waits until no notification is queued or being sent (email or SMS).
    static func waitForEmptyQueue(_ e2e: EndToEndHarness) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let busy = try await e2e.pool.withConnection { connection in
                try connection.query("SELECT count(*)::int FROM notification_queue")[0]
                    .decode(0, as: Int.self)
            }
            if busy == 0 { return }
            guard ContinuousClock.now < deadline else {
                Issue.record("\(busy) notifications still queued or sending after 10 s")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The token following `prefix` in `text`, up to the first character that
    /// cannot be in a URL query value.
    static func token(after prefix: String, in text: String) -> String? {
        guard let range = text.range(of: prefix) else { return nil }
        let token = text[range.upperBound...].prefix { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.~".contains($0)) }
        return token.isEmpty ? nil : String(token)
    }

    /// The first run of exactly six digits.
    static func sixDigits(in text: String) -> String? {
        var run = ""
        for character in text + " " {
            if character.isASCII && character.isNumber {
                run.append(character)
            } else {
                if run.count == 6 { return run }
                run = ""
            }
        }
        return nil
    }
}
