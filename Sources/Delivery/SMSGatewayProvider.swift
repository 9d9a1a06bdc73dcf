import Foundation
import JSON
import Crypto

/// `sms_pxyz`: hands the SMS to a gateway of the operator's, posting
/// `{"id", "to", "from", "text"}` as JSON to the channel's `url`, else to the
/// server's `HERALD_SMS_URL`; with neither, in development, it writes
/// `<outbox>/<notificationId>.txt`.
///
/// The notification id is both the body's `id` and the `Idempotency-Key`
/// header, for gateways that deduplicate. Credentials in the URL
/// (`https://user:pass@gateway/sms`) are sent as HTTP Basic, not left in it.
public struct SMSGatewayProvider: NotificationProvider {
    public static let name = "sms_pxyz"

    let client: HTTPProviderClient
    let gatewayURL: URL?
    let outbox: Outbox?

    public init(client: HTTPProviderClient, gatewayURL: URL? = nil, outbox: Outbox? = nil) {
        self.client = client
        self.gatewayURL = gatewayURL
        self.outbox = outbox
    }

    public func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt {
        let to = try message.smsRecipient()
        let text = try message.plainText()
        let from = channel.string("from")

        let target: URL
        let operatorsGateway: Bool
        if let url = channel.string("url") {
            target = try ProviderURL.validated(url, what: "\(Self.name) setting url")
            operatorsGateway = false
        } else if let gatewayURL {
            target = try ProviderURL.validated(gatewayURL.absoluteString, what: "HERALD_SMS_URL")
            operatorsGateway = true
        } else if let outbox {
            return try await writeToOutbox(outbox, message, to: to, from: from, text: text)
        } else {
            throw DeliveryError(.permanent, "\(Self.name): no SMS gateway configured (channel url or HERALD_SMS_URL)")
        }

        var body: JSONObject = ["id": .string(message.notificationId), "to": .string(to)]
        if let from { body["from"] = .string(from) }
        body["text"] = .string(text)
        var headers: [(name: String, value: String)] = [("Idempotency-Key", message.notificationId)]
        var secrets = [target.absoluteString]
        let (url, credentials) = Self.splitCredentials(target)
        if let credentials {
            headers.append(("Authorization", credentials.header))
            secrets += [credentials.header, credentials.password].compactMap { $0 }
        }
        var request = HTTPProviderRequest(provider: Self.name, url: url, json: .object(body), headers: headers, secrets: secrets)
        request.checksTarget = !operatorsGateway  // the operator chose HERALD_SMS_URL
        let response = try await client.send(request)
        return HTTPProviderClient.receipt(response, for: request, messageId: response.json?["id"]?.stringValue)
    }

    private func writeToOutbox(_ outbox: Outbox, _ message: OutgoingMessage, to: String, from: String?, text: String) async throws -> DeliveryReceipt {
        let file = """
            To: \(to)
            From: \(from ?? "")
            Notification: \(message.notificationId)

            \(text)

            """
        let url = try await outbox.write(Array(file.utf8), notificationId: message.notificationId, extension: "txt")
        return DeliveryReceipt(providerMessageId: message.notificationId, response: "written to \(url.path)")
    }

    /// The URL without its userinfo, and that userinfo as a Basic header.
    static func splitCredentials(_ url: URL) -> (URL, (header: String, password: String?)?) {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false),
              let user = components.user else { return (url, nil) }
        let password = components.password
        components.user = nil
        components.password = nil
        let header = Base64Credentials.basic(user: user, password: password ?? "")
        return (components.url ?? url, (header, password))
    }
}
