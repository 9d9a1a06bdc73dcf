import Foundation
import JSON

/// `email_sendgrid`: SendGrid's v3 Mail Send,
/// `POST {baseUrl}/v3/mail/send` with `Authorization: Bearer <apiKey>`.
///
/// It answers 202 with an empty body; the message id is the
/// `X-Message-Id` header. The notification id goes in `custom_args`, which
/// SendGrid echoes in every event webhook, so events map back to it.
public struct SendGridProvider: NotificationProvider {
    public static let name = "email_sendgrid"
    public static let defaultBaseURL = "https://api.sendgrid.com"

    let client: HTTPProviderClient

    public init(client: HTTPProviderClient) {
        self.client = client
    }

    public func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt {
        let apiKey = try channel.required("apiKey")
        let parties = try EmailParties(message, channel)
        func list(_ addresses: [EmailAddress]) -> JSONValue {
            .array(addresses.map { address in
                var entry: JSONObject = ["email": .string(address.address)]
                if let name = address.name, !name.isEmpty { entry["name"] = .string(name) }
                return .object(entry)
            })
        }
        // SendGrid refuses empty cc/bcc arrays: leave them out.
        var personalization: JSONObject = ["to": list(parties.to)]
        if !parties.cc.isEmpty { personalization["cc"] = list(parties.cc) }
        if !parties.bcc.isEmpty { personalization["bcc"] = list(parties.bcc) }
        // text/plain must come before text/html; empty values are refused.
        var content: [JSONValue] = []
        if let text = message.text, !text.isEmpty { content.append(["type": "text/plain", "value": .string(text)]) }
        if let html = message.html, !html.isEmpty { content.append(["type": "text/html", "value": .string(html)]) }
        guard !content.isEmpty else { throw DeliveryError(.invalidMessage, "message has neither text nor HTML body") }
        let body: JSONValue = [
            "personalizations": [.object(personalization)],
            "from": list([parties.from]).arrayValue![0],
            "subject": .string(message.subject ?? ""),
            "content": .array(content),
            "custom_args": ["notification_id": .string(message.notificationId)],
        ]

        let request = HTTPProviderRequest(
            provider: Self.name,
            url: try channel.endpoint(default: Self.defaultBaseURL, path: "/v3/mail/send"),
            json: body,
            headers: [("Authorization", "Bearer \(apiKey)")],
            secrets: [apiKey])
        let response = try await client.send(request)
        return HTTPProviderClient.receipt(response, for: request, messageId: response.header("X-Message-Id"))
    }
}
