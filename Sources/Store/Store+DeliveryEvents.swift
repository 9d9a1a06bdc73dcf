import Crypto
import Foundation
import JSON
import Postgres

/// Providers' delivery events (issue 14, migration 0009): each is recorded
/// once per channel, becomes its notification's delivery status, puts a hard
/// bounce's or complaint's address on the suppression list, and is queued to
/// the tenant's opted-in webhook channels (the event stream), all in one
/// transaction, so a retried request never half-applies.
extension Store {
    /// One verified event, in the Store's terms (`DeliveryEvent` mapped by the API).
    public struct ReceivedEvent: Sendable {
        public var kind: String
        public var eventKey: String
        public var notificationId: String?
        public var recipient: String?
        public var detail: String?
        public var occurredAt: Date?
        public var providerMessageId: String?

        public init(kind: String, eventKey: String, notificationId: String?, recipient: String?, detail: String?,
                    occurredAt: Date?, providerMessageId: String?) {
            self.kind = kind
            self.eventKey = eventKey
            self.notificationId = notificationId
            self.recipient = recipient
            self.detail = detail
            self.occurredAt = occurredAt
            self.providerMessageId = providerMessageId
        }
    }

    public enum EventOutcome: Sendable, Equatable {
        /// Recorded; `notificationId` when it names one of the channel's
        /// tenant's notifications, `suppressed` when it added a suppression,
        /// `streamed` the webhook notifications queued for it.
        case recorded(id: String, notificationId: String?, suppressed: Bool, streamed: Int)
        /// Recorded before (the provider retried, or replayed).
        case duplicate
    }

    /// The order in which delivery statuses replace each other: an event
    /// changes the status only when its rank is at least the current one's,
    /// so a late `opened` never hides a `bounced`, a `delivered` replaces a
    /// `soft_bounced` (the retry got through), and `complained` and
    /// `suppressed` stay. Kinds not listed (deferred, dropped, other) are
    /// kept as events and change no status.
    public static let deliveryStatusRanks: [(String, Int)] = [
        ("soft_bounced", 1), ("delivered", 2), ("opened", 3), ("clicked", 4), ("bounced", 5), ("complained", 6), ("suppressed", 7),
    ]

    static func deliveryStatusRank(_ expression: String) -> String {
        "CASE \(expression) " + deliveryStatusRanks.map { "WHEN '\($0.0)' THEN \($0.1)" }.joined(separator: " ") + " ELSE 0 END"
    }

    /// A channel by id alone, with secrets opened: the event receiver's
    /// lookup, before it knows any tenant (the channel carries it).
    public func channelForEvents(id: String) async throws -> ChannelForSending? {
        let tenantId = try await database.withConnection { connection in
            try connection.query("SELECT tenant_id FROM channels WHERE id = $1", [id]).first?.decode("tenant_id", as: String.self)
        }
        guard let tenantId else { return nil }
        return try await channelForSending(reference: id, tenantId: tenantId).flatMap { $0.id == id ? $0 : nil }
    }

    /// Records `events` received for `channel`, in one transaction.
    public func recordDeliveryEvents(channel: ChannelForSending, _ events: [ReceivedEvent]) async throws -> [EventOutcome] {
        try await database.withTransaction { connection in
            var streamChannels: [String]?
            return try events.map { event in
                // Only the channel's tenant's notifications: an id of another tenant's is recorded as unmatched.
                let target = try event.notificationId.flatMap { id in
                    try connection.query("""
                        SELECT id, "to"::text AS recipients FROM notifications WHERE id = $1 AND tenant_id = $2
                        """, [id, channel.tenantId]).first
                }
                let notificationId = try target?.decode("id", as: String.self)
                guard let inserted = try connection.query("""
                    INSERT INTO notification_events AS e (id, tenant_id, channel_id, notification_id, provider, event_key, kind,
                                                          recipient, detail, occurred_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                            coalesce(date_trunc('milliseconds', to_timestamp($10::float8)), herald_now()))
                    ON CONFLICT (channel_id, event_key) DO NOTHING
                    RETURNING e.id, herald_ts(e.occurred_at) AS occurred_at
                    """, [Identifier.make(), channel.tenantId, channel.id, notificationId, channel.provider, event.eventKey,
                          event.kind, event.recipient, event.detail, event.occurredAt?.timeIntervalSince1970]).first
                else { return .duplicate }
                let id = try inserted.decode("id", as: String.self)
                guard let notificationId else { return .recorded(id: id, notificationId: nil, suppressed: false, streamed: 0) }

                if Self.deliveryStatusRanks.contains(where: { $0.0 == event.kind }) {
                    _ = try connection.query("""
                        UPDATE notifications SET delivery_status = $2, delivery_detail = $3, delivery_updated_at = herald_now()
                        WHERE id = $1 AND (\(Self.deliveryStatusRank("delivery_status"))) <= (\(Self.deliveryStatusRank("$2::text")))
                        """, [notificationId, event.kind, event.detail])
                }
                var suppressed = false
                let reason: SuppressionReason? = event.kind == "bounced" ? .hardBounce : event.kind == "complained" ? .complaint : nil
                if let reason, let address = try event.recipient ?? Self.firstRecipient(target?.decode("recipients", as: String.self)) {
                    suppressed = try Self.suppress(connection, tenantId: channel.tenantId, address: address, reason: reason,
                                                   detail: event.detail, notificationId: notificationId)
                }
                if streamChannels == nil {
                    streamChannels = try connection.query("""
                        SELECT id FROM channels WHERE tenant_id = $1 AND provider = 'webhook' AND enabled
                          AND provider_settings->>'\(ChannelCatalog.deliveryEventsKey)' = 'true' ORDER BY id
                        """, [channel.tenantId]).map { try $0.decode("id", as: String.self) }
                }
                var document: JSONObject = [
                    "id": .string(id), "type": .string(event.kind), "notificationId": .string(notificationId),
                    "channelId": .string(channel.id), "provider": .string(channel.provider),
                    "recipient": event.recipient.map(JSONValue.string) ?? .null,
                    "detail": event.detail.map(JSONValue.string) ?? .null,
                    "occurredAt": .string(try inserted.decode("occurred_at", as: String.self)),
                ]
                if let messageId = event.providerMessageId { document["messageId"] = .string(messageId) }
                for webhook in streamChannels ?? [] {
                    // A stored rendering and no template: the worker sends it as it is, signed like any webhook.
                    _ = try Self.enqueue(connection, NewNotification(
                        tenantId: channel.tenantId, templateId: nil, templateName: Self.deliveryEventTemplateName,
                        channelId: webhook, type: .webhook, to: .object(JSONObject()), locale: "en",
                        variables: .object(JSONObject()), rendered: ["json": .object(document)]))
                }
                return .recorded(id: id, notificationId: notificationId, suppressed: suppressed, streamed: streamChannels?.count ?? 0)
            }
        }
    }

    /// What the event stream's notifications name as their template (there is none: the log shows this).
    public static let deliveryEventTemplateName = "delivery-event"

    /// The first `to` address of a stored recipients document.
    static func firstRecipient(_ text: String?) throws -> String? {
        guard let text, let value = try? JSONParser.parse(text) else { return nil }
        let to = value["to"] ?? value
        return to.stringValue ?? to.arrayValue?.first?.stringValue
    }
}

extension Store.StatsSource {
    /// Notifications whose delivery status is one of `statuses` (constants of the code, never input).
    public static func notifications(deliveryStatus statuses: [String]) -> Self {
        Self(table: "notifications", timestamp: "created_at",
             condition: "delivery_status IN (" + statuses.map { "'\($0)'" }.joined(separator: ", ") + ")")
    }
}
