import Foundation
import JSON

/// Postmark's webhooks: one event object per request, `RecordType`
/// `Delivery`, `Bounce`, `SpamComplaint`, `Open`, `Click` (others are
/// recorded as `other`). Herald's id is in `Metadata.notification_id`.
enum PostmarkEvents {
    /// Bounce types that say the address does not exist (the rest are
    /// temporary or about the sender: soft).
    static let hardBounceTypes: Set<String> = ["HardBounce", "BadEmailAddress", "ManuallyDeactivated"]

    static func parse(_ body: [UInt8]) throws -> [DeliveryEvent] {
        let value = try EventJSON.parse(body)
        return try EventJSON.objects(value, max: 1).map { object in
            guard let record = EventJSON.text(object["RecordType"]) else {
                throw DeliveryEventError(.malformed, "a Postmark event without RecordType")
            }
            var kind = DeliveryEvent.Kind.other
            var detail = EventJSON.text(object["Details"])
            var at = object["ReceivedAt"]
            switch record {
            case "Delivery":
                kind = .delivered
                at = object["DeliveredAt"]
            case "Bounce":
                let type = EventJSON.text(object["Type"]) ?? ""
                kind = type == "SpamComplaint" ? .complained : hardBounceTypes.contains(type) ? .bounced : .softBounced
                detail = [type, EventJSON.text(object["Description"]), EventJSON.text(object["Details"])]
                    .compactMap { $0 }.joined(separator: ": ")
                at = object["BouncedAt"]
            case "SpamComplaint":
                kind = .complained
                at = object["BouncedAt"]
            case "Open": kind = .opened
            case "Click":
                kind = .clicked
                detail = EventJSON.text(object["OriginalLink"])
            default: break
            }
            // Bounces and complaints have an ID; the other records do not.
            let key = EventJSON.text(object["ID"]).map { "\(record):\($0)" } ?? DeliveryEvent.digestKey(.object(object))
            return DeliveryEvent(kind: kind, eventKey: key,
                                 notificationId: EventJSON.text(object["Metadata"]?["notification_id"]),
                                 recipient: EventJSON.text(object["Recipient"]) ?? EventJSON.text(object["Email"]),
                                 detail: detail, occurredAt: EventTimestamp.parse(EventJSON.text(at)),
                                 providerMessageId: EventJSON.text(object["MessageID"]))
        }
    }
}

/// SendGrid's Event Webhook: an array of events; `custom_args` appear as
/// top-level keys, so Herald's id is `notification_id`; `sg_event_id`
/// identifies each event.
enum SendGridEvents {
    static func parse(_ body: [UInt8]) throws -> [DeliveryEvent] {
        let value = try EventJSON.parse(body)
        guard value.arrayValue != nil else { throw DeliveryEventError(.malformed, "SendGrid posts an array of events") }
        return try EventJSON.objects(value).map { object in
            guard let event = EventJSON.text(object["event"]) else {
                throw DeliveryEventError(.malformed, "a SendGrid event without `event`")
            }
            var kind = DeliveryEvent.Kind.other
            var detail = EventJSON.text(object["response"]) ?? EventJSON.text(object["reason"])
            switch event {
            case "delivered": kind = .delivered
            case "open": kind = .opened
            case "click":
                kind = .clicked
                detail = EventJSON.text(object["url"])
            // `blocked` is the receiving server refusing for now (reputation, content): soft.
            case "bounce": kind = EventJSON.text(object["type"]) == "blocked" ? .softBounced : .bounced
            case "deferred": kind = .deferred
            case "dropped": kind = .dropped
            case "spamreport": kind = .complained
            default: break
            }
            if kind == .bounced || kind == .softBounced || kind == .dropped {
                detail = [EventJSON.text(object["status"]), EventJSON.text(object["reason"])].compactMap { $0 }.joined(separator: " ")
            }
            let key = EventJSON.text(object["sg_event_id"]) ?? DeliveryEvent.digestKey(.object(object))
            return DeliveryEvent(kind: kind, eventKey: key, notificationId: EventJSON.text(object["notification_id"]),
                                 recipient: EventJSON.text(object["email"]), detail: detail.flatMap { $0.isEmpty ? nil : $0 },
                                 occurredAt: object["timestamp"]?.doubleValue.flatMap(plausibleUnixTime),
                                 providerMessageId: EventJSON.text(object["sg_message_id"]))
        }
    }

    static func plausibleUnixTime(_ seconds: Double) -> Date? {
        (946_684_800...32_503_680_000).contains(seconds) ? Date(timeIntervalSince1970: seconds) : nil
    }
}

/// Resend's webhooks (sent through Svix): one `{type, created_at, data}`
/// per request; the Svix message id is the event id. Herald tags each
/// send with `notification_id`; Resend shows tags as an object (older
/// payloads: a list of `{name, value}`).
enum ResendEvents {
    static func parse(_ body: [UInt8], messageId: String) throws -> [DeliveryEvent] {
        let value = try EventJSON.parse(body)
        guard let object = value.objectValue, let type = EventJSON.text(object["type"]), let data = object["data"]?.objectValue else {
            throw DeliveryEventError(.malformed, "a Resend event is {type, created_at, data}")
        }
        var kind = DeliveryEvent.Kind.other
        var detail: String?
        switch type {
        case "email.delivered": kind = .delivered
        case "email.delivery_delayed": kind = .deferred
        case "email.opened": kind = .opened
        case "email.clicked":
            kind = .clicked
            detail = EventJSON.text(data["click"]?["link"])
        case "email.complained": kind = .complained
        case "email.bounced":
            let bounce = data["bounce"]
            kind = EventJSON.text(bounce?["type"]) == "Permanent" ? .bounced : .softBounced
            detail = [EventJSON.text(bounce?["type"]), EventJSON.text(bounce?["subType"]), EventJSON.text(bounce?["message"])]
                .compactMap { $0 }.joined(separator: ": ")
        case "email.failed":
            kind = .dropped
            detail = EventJSON.text(data["failed"]?["reason"])
        default: break
        }
        var notificationId: String?
        if let tags = data["tags"] {
            if let object = tags.objectValue {
                notificationId = EventJSON.text(object["notification_id"])
            } else {
                notificationId = tags.arrayValue?.first { $0["name"]?.stringValue == "notification_id" }
                    .flatMap { EventJSON.text($0["value"]) }
            }
        }
        let recipient = EventJSON.text(data["to"]?.arrayValue?.first) ?? EventJSON.text(data["to"])
        return [DeliveryEvent(kind: kind, eventKey: "svix:" + messageId, notificationId: notificationId, recipient: recipient,
                              detail: detail, occurredAt: EventTimestamp.parse(EventJSON.text(object["created_at"])),
                              providerMessageId: EventJSON.text(data["email_id"]))]
    }
}

/// Twilio's message status callbacks: form parameters, one status change per
/// request; Herald's id is in the callback URL's `notificationId`.
enum TwilioEvents {
    /// Error codes that say the number cannot receive texts, for good:
    /// unknown or landline destination, invalid or non-mobile number.
    static let permanentErrors: Set<String> = ["30005", "30006", "21211", "21614"]
    /// The recipient replied STOP.
    static let optedOut: Set<String> = ["21610"]

    static func parse(_ form: [(String, String)], notificationId: String?) throws -> [DeliveryEvent] {
        func value(_ name: String) -> String? { form.first { $0.0 == name }.map(\.1).flatMap { $0.isEmpty ? nil : $0 } }
        guard let sid = value("MessageSid") ?? value("SmsSid"), let status = value("MessageStatus") ?? value("SmsStatus") else {
            throw DeliveryEventError(.malformed, "a Twilio status callback has MessageSid and MessageStatus")
        }
        let error = value("ErrorCode")
        var kind = DeliveryEvent.Kind.other
        switch status {
        case "delivered": kind = .delivered
        case "read": kind = .opened
        case "undelivered", "failed":
            kind = error.map { optedOut.contains($0) ? .complained : permanentErrors.contains($0) ? .bounced : .softBounced } ?? .softBounced
        default: break
        }
        let detail = error.map { "\(status) (error \($0))" } ?? status
        return [DeliveryEvent(kind: kind, eventKey: "\(sid):\(status)", notificationId: notificationId,
                              recipient: value("To"), detail: detail, providerMessageId: sid)]
    }
}

/// Herald's own event format, for relays behind `email_pxyz` channels (and
/// what the tenant's event stream sends): one object or an array of
/// `{id, type, notificationId?, messageId?, recipient?, detail?, occurredAt?}`,
/// `type` one of Herald's kinds. Without `notificationId`, a Herald
/// Message-ID (`<notificationId@domain>`) names the notification.
enum HeraldEvents {
    static func parse(_ body: [UInt8]) throws -> [DeliveryEvent] {
        let value = try EventJSON.parse(body)
        return try EventJSON.objects(value).map { object in
            guard let id = EventJSON.text(object["id"]), let type = EventJSON.text(object["type"]) else {
                throw DeliveryEventError(.malformed, "an event has id and type")
            }
            guard let kind = DeliveryEvent.Kind(rawValue: type) else {
                throw DeliveryEventError(.malformed, "type: one of \(DeliveryEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let messageId = EventJSON.text(object["messageId"])
            let fromMessageId = messageId.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "<> ")) }
                .flatMap { $0.split(separator: "@").first.map(String.init) }
            return DeliveryEvent(kind: kind, eventKey: "id:" + id,
                                 notificationId: EventJSON.text(object["notificationId"]) ?? fromMessageId,
                                 recipient: EventJSON.text(object["recipient"]), detail: EventJSON.text(object["detail"]),
                                 occurredAt: EventTimestamp.parse(EventJSON.text(object["occurredAt"])),
                                 providerMessageId: messageId)
        }
    }
}
