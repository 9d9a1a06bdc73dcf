/// The channel providers Herald really sends through (API.md §5), with the
/// channel type each serves, the settings each needs, and which settings are
/// secret (stored encrypted, masked in responses).
public enum ChannelCatalog {
    public struct Provider: Sendable {
        public let name: String
        public let type: ChannelType
        public let required: [String]
        public let optional: [String]
    }

    public static let providers: [Provider] = [
        Provider(name: "email_pxyz", type: .email, required: [],
                 optional: ["host", "port", "security", "username", "password", "from", "fromName", "webhookSecret"]),
        Provider(name: "email_postmark", type: .email, required: ["serverToken", "from"],
                 optional: ["fromName", "messageStream", "baseUrl", "webhookUsername", "webhookPassword"]),
        Provider(name: "email_sendgrid", type: .email, required: ["apiKey", "from"], optional: ["fromName", "baseUrl", "webhookPublicKey"]),
        Provider(name: "email_resend", type: .email, required: ["apiKey", "from"], optional: ["fromName", "baseUrl", "webhookSecret"]),
        Provider(name: "sms_pxyz", type: .sms, required: [], optional: ["from", "url"]),
        Provider(name: "sms_twilio", type: .sms, required: ["accountSid", "authToken", "from"], optional: ["baseUrl"]),
        Provider(name: "webhook", type: .webhook, required: ["url"], optional: ["secret", "headers", "deliveryEvents"]),
        Provider(name: "inapp_pxyz", type: .inapp, required: [], optional: []),
        Provider(name: "chat_slack", type: .chat, required: ["webhookUrl"], optional: ["username", "iconEmoji"]),
    ]

    public static func provider(named name: String) -> Provider? { providers.first { $0.name == name } }

    public static var supportedNames: [String] { providers.map(\.name) }

    /// Settings whose values are credentials. A Slack incoming-webhook URL is one.
    /// `webhookPassword` and `webhookSecret` verify the provider's delivery events (issue 14).
    public static let secretKeys: Set<String> = ["password", "serverToken", "apiKey", "authToken", "secret", "webhookUrl",
                                                 "webhookPassword", "webhookSecret"]

    /// `providerSettings.deliveryEvents` of a `webhook` channel: `true` sends
    /// the tenant's delivery events to it (the event stream, issue 14).
    public static let deliveryEventsKey = "deliveryEvents"

    /// Settings that are objects whose every value is a credential: a
    /// webhook's extra `headers` usually carry the receiver's API key.
    public static let secretObjectKeys: Set<String> = ["headers"]

    /// `providerSettings.maxAttempts`, accepted for every provider: the
    /// attempts a notification through the channel gets before it fails
    /// (issue 5: a per-channel maximum, 8 by default, about a day of backoff).
    public static let maxAttemptsKey = "maxAttempts"
    public static let maxAttemptsRange = 1...25
    public static let defaultMaxAttempts = 8

    /// What responses show instead of a secret's value; sending it back keeps the stored secret.
    public static let mask = "********"
}
