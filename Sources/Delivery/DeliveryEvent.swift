import Foundation
import Crypto
import JSON

/// What a provider later says about a message it accepted (issue 14): one
/// event of a provider's delivery webhook, already verified and mapped to
/// Herald's kinds. `eventKey` deduplicates: the provider's own event id, or
/// a digest of the event when it has none.
public struct DeliveryEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case delivered, bounced, complained, opened, clicked, deferred, dropped, other
        case softBounced = "soft_bounced"
    }

    public var kind: Kind
    public var eventKey: String
    /// The notification id Herald sent with the message, when the event carries it.
    public var notificationId: String?
    public var recipient: String?
    /// The provider's words: a bounce's reason, a status code.
    public var detail: String?
    /// When it happened by the provider's clock; nil when the provider does not say (Twilio).
    public var occurredAt: Date?
    public var providerMessageId: String?

    public init(kind: Kind, eventKey: String, notificationId: String? = nil, recipient: String? = nil,
                detail: String? = nil, occurredAt: Date? = nil, providerMessageId: String? = nil) {
        self.kind = kind
        // Long keys are hashed, not cut: two ids sharing a prefix must stay two events. A provider's
        // id that looks like Herald's digest keys is hashed too, so it can never pose as one.
        let storable = eventKey.utf8.count <= 200 && !eventKey.contains("\0") && !eventKey.hasPrefix(Self.digestPrefix)
        self.eventKey = storable ? eventKey : Self.digestPrefix + SHA256.hex(eventKey)
        self.notificationId = notificationId.flatMap(Self.plausibleId)
        self.recipient = recipient.map { Self.storable($0, max: 320) }
        self.detail = detail.map { Self.storable($0, max: 1000) }
        self.occurredAt = occurredAt
        self.providerMessageId = providerMessageId.map { Self.storable($0, max: 200) }
    }

    /// Text PostgreSQL can hold (no NUL, which JSON's `\u0000` can carry), at most `max` characters.
    static func storable(_ text: String, max: Int) -> String {
        String(text.unicodeScalars.lazy.filter { $0 != "\0" }.prefix(max).map(Character.init))
    }

    /// A notification id as Herald makes them (`c` + base-36); anything else
    /// cannot name a notification and is dropped before any query.
    static func plausibleId(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.utf8.count >= 9, trimmed.utf8.count <= 65, trimmed.hasPrefix("c"),
              trimmed.utf8.allSatisfy({ (48...57).contains($0) || (97...122).contains($0) }) else { return nil }
        return trimmed
    }

    static let digestPrefix = "sha256:"

    /// The dedupe key of an event without an id of its own: its JSON, hashed.
    static func digestKey(_ value: JSONValue) -> String {
        digestPrefix + SHA256.hex(value.encoded())
    }
}

/// Why a delivery-event request was refused: `unauthorized` and `stale` are
/// 401 (nothing is recorded), `malformed` is 400 (it was signed, but not a
/// payload the provider sends).
public struct DeliveryEventError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unauthorized, stale, malformed
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// A delivery-event request as the receiver sees it.
public struct DeliveryEventRequest: Sendable {
    /// Header names lower-cased, the first value of each.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The URL the provider posted to as Herald's public URL names it
    /// (`HERALD_PUBLIC_URL` + path + `?query`), never built from `Host`:
    /// Twilio signs it.
    public var url: String
    /// The query's `notificationId` (Twilio's StatusCallback carries it there).
    public var notificationId: String?
    public var now: Date

    public init(headers: [String: String], body: [UInt8], url: String, notificationId: String?, now: Date = Date()) {
        self.headers = headers
        self.body = body
        self.url = url
        self.notificationId = notificationId
        self.now = now
    }

    func header(_ name: String) -> String? {
        headers[name].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
    }
}
