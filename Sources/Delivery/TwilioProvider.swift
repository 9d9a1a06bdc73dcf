import Foundation
import JSON
import Crypto

/// `sms_twilio`: Twilio's Messages resource,
/// `POST {baseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json`, form
/// encoded, with HTTP Basic `accountSid:authToken`. Answers 201 with the
/// message resource; its `sid` is the provider message id.
///
/// Twilio has no idempotency key for sending, which is one reason an SMS
/// goes to exactly one number (see `OutgoingMessage.smsRecipient`).
public struct TwilioProvider: NotificationProvider {
    public static let name = "sms_twilio"
    public static let defaultBaseURL = "https://api.twilio.com"

    let client: HTTPProviderClient
    /// `HERALD_PUBLIC_URL` when the operator set it: each message then asks
    /// Twilio for status callbacks at the channel's event receiver, with the
    /// notification id in the query (issue 14). Nil: no callbacks.
    let eventsBaseURL: String?

    public init(client: HTTPProviderClient, eventsBaseURL: String? = nil) {
        self.client = client
        self.eventsBaseURL = eventsBaseURL
    }

    /// Where Twilio posts this message's status changes.
    static func statusCallback(base: String, channelId: String, notificationId: String) -> String {
        "\(base)/api/v0/notifications/events/\(FormEncoding.escape(channelId))?notificationId=\(FormEncoding.escape(notificationId))"
    }

    public func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt {
        let accountSid = try channel.required("accountSid")
        let authToken = try channel.required("authToken")
        let from = try channel.required("from")
        // The SID becomes a path segment: letters and digits only (AC + 32 hex).
        guard accountSid.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }) else {
            throw channel.settingError("accountSid", "must be letters and digits")
        }
        let to = try message.smsRecipient()
        let text = try message.plainText()
        // A Messaging Service SID (MG…) sends from the service's number pool.
        let sender = from.hasPrefix("MG") && from.count == 34 ? "MessagingServiceSid" : "From"
        var form = [("To", to), (sender, from), ("Body", text)]
        if let base = eventsBaseURL {
            form.append(("StatusCallback", Self.statusCallback(base: base, channelId: channel.id, notificationId: message.notificationId)))
        }

        let credentials = Base64Credentials.basic(user: accountSid, password: authToken)
        let request = HTTPProviderRequest(
            provider: Self.name,
            url: try channel.endpoint(default: Self.defaultBaseURL, path: "/2010-04-01/Accounts/\(accountSid)/Messages.json"),
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
                      ("Authorization", credentials)],
            body: Array(FormEncoding.encode(form).utf8),
            secrets: [authToken, credentials])
        let response = try await client.send(request)
        return HTTPProviderClient.receipt(response, for: request, messageId: response.json?["sid"]?.stringValue)
    }
}

/// `application/x-www-form-urlencoded` with everything but unreserved
/// characters percent-encoded (so `+` in a phone number stays a plus).
enum FormEncoding {
    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}

enum Base64Credentials {
    /// An `Authorization: Basic` value (RFC 7617, UTF-8).
    static func basic(user: String, password: String) -> String {
        "Basic " + Crypto.Base64.encode(Array("\(user):\(password)".utf8))
    }
}
