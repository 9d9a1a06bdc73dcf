import Foundation
import JSON

/// `email_resend`: Resend's `POST {baseUrl}/emails` with
/// `Authorization: Bearer <apiKey>`, and the notification id as
/// `Idempotency-Key`: Resend keeps keys for 24 hours and answers a repeated
/// request with the first result, so a retry after a lost reply sends nothing twice.
/// The tag `notification_id` maps Resend's delivery events back.
public struct ResendProvider: NotificationProvider {
    public static let name = "email_resend"
    public static let defaultBaseURL = "https://api.resend.com"

    let client: HTTPProviderClient

    public init(client: HTTPProviderClient) {
        self.client = client
    }

    public func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt {
        let apiKey = try channel.required("apiKey")
        let parties = try EmailParties(message, channel)
        var body: JSONObject = [
            "from": .string(EmailParties.mailbox(parties.from)),
            "to": .array(parties.to.map { .string($0.address) }),
        ]
        if !parties.cc.isEmpty { body["cc"] = .array(parties.cc.map { .string($0.address) }) }
        if !parties.bcc.isEmpty { body["bcc"] = .array(parties.bcc.map { .string($0.address) }) }
        body["subject"] = .string(message.subject ?? "")
        if let html = message.html { body["html"] = .string(html) }
        if let text = message.text { body["text"] = .string(text) }
        // Resend's webhooks carry the message's tags: how its delivery events map back (issue 14).
        body["tags"] = [["name": "notification_id", "value": .string(message.notificationId)]]

        let request = HTTPProviderRequest(
            provider: Self.name,
            url: try channel.endpoint(default: Self.defaultBaseURL, path: "/emails"),
            json: .object(body),
            headers: [("Authorization", "Bearer \(apiKey)"), ("Idempotency-Key", message.notificationId)],
            secrets: [apiKey])
        let response = try await client.perform(request)
        // 409 "concurrent_idempotent_requests": our earlier attempt with this
        // key is still running at Resend. Its outcome is unknown: ask again later.
        if response.status == 409, response.json?["name"]?.stringValue == "concurrent_idempotent_requests" {
            throw DeliveryError(.transient, "\(Self.name): an earlier attempt of this notification is still in progress")
        }
        let accepted = try client.check(response, for: request)
        return HTTPProviderClient.receipt(accepted, for: request, messageId: accepted.json?["id"]?.stringValue)
    }
}
