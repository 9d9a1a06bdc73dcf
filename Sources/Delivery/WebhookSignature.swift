import Foundation
import Crypto

/// Standard Webhooks signing (https://www.standardwebhooks.com):
/// `webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`.
/// The receiver recomputes it with the shared secret, and checks the
/// timestamp to refuse replays.
public enum WebhookSignature {
    /// The HMAC key of a secret: a `whsec_` secret carries base64 key bytes
    /// after the prefix (the format the spec's libraries generate); any
    /// other secret is used as its UTF-8 bytes.
    public static func key(fromSecret secret: String) throws -> [UInt8] {
        guard secret.hasPrefix("whsec_") else { return Array(secret.utf8) }
        guard let key = Base64.decode(String(secret.dropFirst(6))), !key.isEmpty else {
            throw DeliveryError(.permanent, "webhook secret starts with whsec_ but the rest is not base64")
        }
        return key
    }

    /// `v1,<base64>` for one message.
    public static func sign(id: String, timestamp: Int64, body: [UInt8], key: [UInt8]) -> String {
        "v1," + Base64.encode(HMAC.sha256(key: key, message: signedContent(id: id, timestamp: timestamp, body: body)))
    }

    public static func sign(id: String, timestamp: Int64, body: [UInt8], secret: String) throws -> String {
        sign(id: id, timestamp: timestamp, body: body, key: try key(fromSecret: secret))
    }

    /// What a receiver does: true when one of the space-separated `v1,`
    /// signatures in `header` matches (during key rotation a sender may
    /// send several) and the timestamp is within `tolerance` of `now`.
    public static func verify(header: String, id: String, timestamp: Int64, body: [UInt8], secret: String,
                              now: Date = Date(), tolerance: TimeInterval = 300) -> Bool {
        guard abs(now.timeIntervalSince1970 - TimeInterval(timestamp)) <= tolerance,
              let key = try? key(fromSecret: secret) else { return false }
        let expected = Array(sign(id: id, timestamp: timestamp, body: body, key: key).utf8)
        return header.split(separator: " ").contains { ConstantTime.equals(Array($0.utf8), expected) }
    }

    static func signedContent(id: String, timestamp: Int64, body: [UInt8]) -> [UInt8] {
        Array("\(id).\(timestamp).".utf8) + body
    }
}
