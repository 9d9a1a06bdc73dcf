import Foundation
import Crypto
import JSON

/// The receivers of providers' delivery events, one per provider that sends
/// them: verify the request with the channel's settings, then parse its
/// events. The signature is the only credential; every way it can be
/// missing or wrong is `unauthorized` (or `stale`), and only a verified
/// body is parsed.
public enum DeliveryEventReceiver {
    /// How old a signed timestamp may be (either way), where the provider sends one.
    public static let tolerance: TimeInterval = 300
    /// Larger bodies are refused unread (SendGrid batches up to a few hundred events).
    public static let maxBodySize = 512 * 1024

    /// Channel settings the receivers read, per provider. Secrets among them
    /// are in `ChannelCatalog.secretKeys` (sealed, masked).
    public static let settings: [String: [String]] = [
        PostmarkProvider.name: ["webhookUsername", "webhookPassword"],
        SendGridProvider.name: ["webhookPublicKey"],
        ResendProvider.name: ["webhookSecret"],
        TwilioProvider.name: ["authToken"],
        SMTPProvider.name: ["webhookSecret"],
    ]

    /// The request headers any receiver reads.
    public static let headerNames = [
        "authorization", "x-twilio-email-event-webhook-signature", "x-twilio-email-event-webhook-timestamp",
        "svix-id", "svix-timestamp", "svix-signature", "webhook-id", "webhook-timestamp", "webhook-signature",
        "x-twilio-signature",
    ]

    public static func accepts(provider: String) -> Bool { settings[provider] != nil }

    /// Verifies `request` for a channel of `provider` with `channelSettings`
    /// (secrets opened) and answers its events.
    public static func receive(provider: String, channelSettings: JSONObject,
                               request: DeliveryEventRequest) throws -> [DeliveryEvent] {
        func setting(_ key: String) throws -> String {
            guard let value = channelSettings[key]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines),
                  !value.isEmpty else {
                throw DeliveryEventError(.unauthorized, "the channel has no \(key) for verifying events")
            }
            return value
        }
        switch provider {
        case PostmarkProvider.name:
            try verifyBasic(request, username: try setting("webhookUsername"), password: try setting("webhookPassword"))
            return try PostmarkEvents.parse(request.body)
        case SendGridProvider.name:
            try verifySendGrid(request, publicKey: try setting("webhookPublicKey"))
            return try SendGridEvents.parse(request.body)
        case ResendProvider.name:
            let id = try verifyStandardWebhook(request, secret: try setting("webhookSecret"))
            return try ResendEvents.parse(request.body, messageId: id)
        case TwilioProvider.name:
            let form = FormDecoding.pairs(request.body)
            try verifyTwilio(request, form: form, authToken: try setting("authToken"))
            return try TwilioEvents.parse(form, notificationId: request.notificationId)
        case SMTPProvider.name:
            _ = try verifyStandardWebhook(request, secret: try setting("webhookSecret"))
            return try HeraldEvents.parse(request.body)
        default:
            throw DeliveryEventError(.unauthorized, "\(provider) sends no delivery events Herald receives")
        }
    }

    /// Postmark: HTTP Basic credentials set on the webhook's URL. Compared as
    /// digests in constant time, so neither content nor length shows.
    static func verifyBasic(_ request: DeliveryEventRequest, username: String, password: String) throws {
        guard let header = request.header("authorization"), header.lowercased().hasPrefix("basic "),
              let decoded = Base64.decode(String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)) else {
            throw DeliveryEventError(.unauthorized, "no Basic credentials")
        }
        let expected = SHA256.hash(Array("\(username):\(password)".utf8))
        guard ConstantTime.equals(SHA256.hash(decoded), expected) else {
            throw DeliveryEventError(.unauthorized, "wrong Basic credentials")
        }
    }

    /// SendGrid's signed Event Webhook: ECDSA P-256/SHA-256 over the
    /// timestamp header followed by the raw body.
    static func verifySendGrid(_ request: DeliveryEventRequest, publicKey: String) throws {
        guard let signatureText = request.header("x-twilio-email-event-webhook-signature"),
              let timestamp = request.header("x-twilio-email-event-webhook-timestamp") else {
            throw DeliveryEventError(.unauthorized, "no signature")
        }
        try checkFresh(timestamp, request.now)
        guard let key = publicKeyDER(publicKey), let signature = Base64.decode(signatureText),
              ECDSA.verifyP256SHA256(publicKeyDER: key, signature: signature, message: Array(timestamp.utf8) + request.body) else {
            throw DeliveryEventError(.unauthorized, "the signature does not verify")
        }
    }

    /// The verification key as SendGrid shows it (base64 DER), or as PEM.
    public static func publicKeyDER(_ text: String) -> [UInt8]? {
        let base64 = text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }
            .joined().filter { !$0.isWhitespace }
        guard let der = Base64.decode(base64), !der.isEmpty else { return nil }
        return der
    }

    /// Standard Webhooks (Resend sends them through Svix, under `svix-*`
    /// names; Herald's own relays under `webhook-*`). Answers the message id.
    static func verifyStandardWebhook(_ request: DeliveryEventRequest, secret: String) throws -> String {
        let prefix = request.header("svix-id") != nil ? "svix-" : "webhook-"
        guard let id = request.header(prefix + "id"), let timestamp = request.header(prefix + "timestamp"),
              let signature = request.header(prefix + "signature") else {
            throw DeliveryEventError(.unauthorized, "no signature")
        }
        let seconds = try checkFresh(timestamp, request.now)
        guard WebhookSignature.verify(header: signature, id: id, timestamp: seconds, body: request.body, secret: secret,
                                      now: request.now, tolerance: tolerance) else {
            throw DeliveryEventError(.unauthorized, "the signature does not verify")
        }
        return id
    }

    /// Twilio: base64 HMAC-SHA1 with the account's auth token over the URL
    /// and the POST parameters sorted by name, each name then value. Twilio
    /// sends no timestamp, so nothing bounds a replay but the dedupe key.
    static func verifyTwilio(_ request: DeliveryEventRequest, form: [(String, String)], authToken: String) throws {
        guard let signature = request.header("x-twilio-signature"), let given = Base64.decode(signature) else {
            throw DeliveryEventError(.unauthorized, "no signature")
        }
        let expected = HMAC.sha1(key: Array(authToken.utf8), message: Array(twilioSignedContent(url: request.url, form: form).utf8))
        guard ConstantTime.equals(given, expected) else { throw DeliveryEventError(.unauthorized, "the signature does not verify") }
    }

    public static func twilioSignedContent(url: String, form: [(String, String)]) -> String {
        let sorted = form.enumerated().sorted { a, b in
            a.element.0 != b.element.0 ? a.element.0.utf8.lexicographicallyPrecedes(b.element.0.utf8) : a.offset < b.offset
        }
        return sorted.reduce(url) { $0 + $1.element.0 + $1.element.1 }
    }

    /// A Unix-seconds timestamp within `tolerance` of `now`.
    @discardableResult
    static func checkFresh(_ text: String, _ now: Date) throws -> Int64 {
        guard text.utf8.count <= 12, let seconds = Int64(text) else {
            throw DeliveryEventError(.unauthorized, "the timestamp is not Unix seconds")
        }
        guard abs(now.timeIntervalSince1970 - TimeInterval(seconds)) <= tolerance else {
            throw DeliveryEventError(.stale, "the timestamp is more than \(Int(tolerance)) s away")
        }
        return seconds
    }
}
