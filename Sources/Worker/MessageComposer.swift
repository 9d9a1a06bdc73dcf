import Delivery
import JSON
import Rendering
import Store

/// Turns a claimed row and its rendered parts into what a provider sends.
enum MessageComposer {
    /// `to` as stored: `{to, cc?, bcc?}` (each a string or a list), a bare
    /// list of addresses, or one address.
    static func recipients(_ value: JSONValue) -> (to: [String], cc: [String], bcc: [String]) {
        func list(_ value: JSONValue?) -> [String] {
            switch value {
            case .string(let address)?: return address.isEmpty ? [] : [address]
            case .array(let items)?: return items.compactMap { $0.stringValue }.filter { !$0.isEmpty }
            default: return []
            }
        }
        if case .object(let object) = value {
            return (list(object["to"]), list(object["cc"]), list(object["bcc"]))
        }
        return (list(value), [], [])
    }

    static func message(for row: Store.ClaimedNotification, rendered: RenderedMessage) throws -> OutgoingMessage {
        let stored: JSONValue
        do {
            stored = try JSONParser.parse(row.recipients)
        } catch {
            throw PreparationError("the stored recipients are not valid JSON")
        }
        let (to, cc, bcc) = recipients(stored)
        return OutgoingMessage(
            notificationId: row.id, tenantId: row.tenantId, type: row.type, to: to, cc: cc, bcc: bcc,
            subject: rendered.subject, html: rendered.html, text: rendered.text, title: rendered.title,
            data: rendered.data, json: rendered.json, locale: row.locale, test: row.test, attempt: row.attempt)
    }

    /// The stored rendering of a row, or nil when it has none (or an unreadable one).
    static func storedRendering(of row: Store.ClaimedNotification) -> RenderedMessage? {
        guard let text = row.rendered, let document = try? JSONParser.parse(text) else { return nil }
        return RenderedMessage(jsonDocument: document, locale: row.locale)
    }
}
