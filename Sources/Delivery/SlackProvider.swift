import Foundation
import JSON

/// `chat_slack`: a Slack incoming webhook. `POST webhookUrl` with
/// `{"text": …}` (plus `username` and `icon_emoji` when set; Slack ignores
/// them for apps that fix their identity). Slack answers `200 ok` and gives
/// no message id. The URL itself is the credential, so it is a secret and
/// messages show only its origin.
public struct SlackProvider: NotificationProvider {
    public static let name = "chat_slack"

    let client: HTTPProviderClient

    public init(client: HTTPProviderClient) {
        self.client = client
    }

    public func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt {
        let webhookURL = try channel.required("webhookUrl")
        var body: JSONObject = ["text": .string(try message.plainText())]
        if let username = channel.string("username") { body["username"] = .string(username) }
        if let emoji = channel.string("iconEmoji") { body["icon_emoji"] = .string(emoji) }

        let request = HTTPProviderRequest(
            provider: Self.name,
            url: try ProviderURL.validated(webhookURL, what: "\(Self.name) setting webhookUrl"),
            json: .object(body),
            secrets: [webhookURL])
        let response = try await client.send(request)
        return HTTPProviderClient.receipt(response, for: request, messageId: nil)
    }
}
