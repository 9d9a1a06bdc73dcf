import Foundation
import JSON

/// `email_postmark`: Postmark's single-message API,
/// `POST {baseUrl}/email` with the `X-Postmark-Server-Token` header.
///
/// Postmark has no idempotency key, so the notification id travels as the
/// Message-ID header (the same one SMTP would write) and as metadata: a
/// retry after a lost reply is recognisable as a duplicate downstream.
public struct PostmarkProvider: NotificationProvider {
    public static let name = "email_postmark"
    public static let defaultBaseURL = "https://api.postmarkapp.com"

    let client: HTTPProviderClient

    public init(client: HTTPProviderClient) {
        self.client = client
    }

    public func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt {
        let token = try channel.required("serverToken")
        let parties = try EmailParties(message, channel)
        var body: JSONObject = [
            "From": .string(EmailParties.mailbox(parties.from)),
            "To": .string(parties.to.map(EmailParties.mailbox).joined(separator: ", ")),
        ]
        if !parties.cc.isEmpty { body["Cc"] = .string(parties.cc.map(EmailParties.mailbox).joined(separator: ", ")) }
        if !parties.bcc.isEmpty { body["Bcc"] = .string(parties.bcc.map(EmailParties.mailbox).joined(separator: ", ")) }
        body["Subject"] = .string(message.subject ?? "")
        if let html = message.html { body["HtmlBody"] = .string(html) }
        if let text = message.text { body["TextBody"] = .string(text) }
        // "outbound" is the default transactional stream of every server.
        body["MessageStream"] = .string(channel.string("messageStream") ?? "outbound")
        body["Headers"] = [["Name": "Message-ID", "Value": .string(parties.messageID(message.notificationId))]]
        body["Metadata"] = ["notification_id": .string(message.notificationId)]

        let request = HTTPProviderRequest(
            provider: Self.name,
            url: try channel.endpoint(default: Self.defaultBaseURL, path: "/email"),
            json: .object(body),
            headers: [("X-Postmark-Server-Token", token)],
            secrets: [token])
        let response = try await client.send(request)
        return HTTPProviderClient.receipt(response, for: request, messageId: response.json?["MessageID"]?.stringValue)
    }
}
