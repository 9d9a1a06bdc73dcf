import Foundation
import JSON

/// `webhook`: POSTs the rendered JSON document (the template's `json`, or
/// `{"text": …}` for a text-only one) to `settings.url`, signed per
/// Standard Webhooks when the channel has a `secret`:
/// `webhook-id` (the notification id, stable across retries, which is how
/// receivers deduplicate), `webhook-timestamp` and `webhook-signature`.
/// `settings.headers` adds the receiver's own headers (an API key, say);
/// they cannot replace the ones above.
public struct WebhookProvider: NotificationProvider {
    public static let name = "webhook"

    /// Headers the provider writes itself.
    static let reservedHeaders: Set<String> = [
        "webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length",
        "host", "transfer-encoding", "connection", "expect", "user-agent",
    ]

    let client: HTTPProviderClient
    let now: @Sendable () -> Date

    /// `now` is for tests: signatures over a fixed timestamp.
    public init(client: HTTPProviderClient, now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.now = now
    }

    public func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt {
        let url = try ProviderURL.validated(try channel.required("url"), what: "\(Self.name) setting url")
        let document: JSONValue
        if let json = message.json {
            document = json
        } else {
            document = ["text": .string(try message.plainText())]
        }
        let body = document.encoded()
        let id = message.notificationId
        let timestamp = Int64(now().timeIntervalSince1970)

        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"),
            ("webhook-id", id),
            ("webhook-timestamp", String(timestamp)),
        ]
        var secrets: [String] = []
        if let secret = channel.string("secret") {
            headers.append(("webhook-signature", try WebhookSignature.sign(id: id, timestamp: timestamp, body: body, secret: secret)))
            secrets.append(secret)
        }
        for (name, value) in try extraHeaders(channel) {
            headers.append((name, value))
            secrets.append(value)  // often an API key of the receiver's
        }

        let request = HTTPProviderRequest(provider: Self.name, url: url, headers: headers, body: body, secrets: secrets)
        let response = try await client.send(request)
        return HTTPProviderClient.receipt(response, for: request, messageId: id)
    }

    /// `settings.headers` as `{"Name": "value"}`, by the rules channels
    /// are saved with (`ChannelSettingsRules.headerProblem`): token names,
    /// no control characters in values (a CR/LF would inject headers), none of ours.
    func extraHeaders(_ channel: ChannelConfig) throws -> [(String, String)] {
        guard let raw = channel.settings["headers"], !raw.isNull else { return [] }
        guard let object = raw.objectValue else { throw channel.settingError("headers", "must be an object of header names to values") }
        return try object.map { name, value in
            if let problem = ChannelSettingsRules.headerProblem(name: name, value: value, mask: nil) {
                throw channel.settingError("headers", problem)
            }
            return (name, value.stringValue ?? value.intValue.map { String($0) } ?? "")
        }
    }
}
