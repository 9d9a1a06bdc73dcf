import Delivery
import Foundation
import JSON
import Store

/// `POST /notifications/events/{channelId}`: providers' delivery events
/// (issue 14). No key pair: the channel carries the tenant, the provider and
/// the verification secret, and the signature is the credential. Every
/// request that cannot be verified answers the same 401, whether the
/// channel does not exist, has no receiver, or the signature is missing,
/// wrong or stale, so the answer does not tell which channels exist. Events
/// for notifications the channel's tenant does not have are recorded as
/// unmatched and answered 200 (a provider retries anything else for days).
enum DeliveryEventRoutes {
    static let metric = "herald_delivery_events_total"

    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store
        context.metrics.register(metric, .counter, help: "Delivery-event requests and events by provider and outcome",
                                 labels: ["provider", "outcome"])
        routes.open("POST", APIRoutes.basePath + "/notifications/events/:channelId") { request in
            try await context.store.withRequestDeadline {
                try await receive(request, context, store)
            }
        }
    }

    static func receive(_ request: APIRequest, _ context: APIContext, _ store: Store) async throws -> APIResponse {
        func count(_ provider: String, _ outcome: String, _ amount: Int = 1) {
            context.metrics.increment(metric, [provider, outcome], by: Double(amount))
        }
        guard request.body.count <= DeliveryEventReceiver.maxBodySize else {
            count("unknown", "too_large")
            throw APIError(.payloadTooLarge, "Delivery-event bodies are at most \(DeliveryEventReceiver.maxBodySize) bytes")
        }
        let unauthorized = APIError(.unauthorized, "The request is not signed for this channel")
        guard let channelId = request.parameters["channelId"], Format.isId(channelId),
              let channel = try await store.channelForEvents(id: channelId),
              DeliveryEventReceiver.accepts(provider: channel.provider) else {
            count("unknown", "unauthorized")
            throw unauthorized
        }
        var headers: [String: String] = [:]
        for name in DeliveryEventReceiver.headerNames { headers[name] = request.header(name) }
        let url = context.publicURL + request.path + (request.rawQuery.isEmpty ? "" : "?" + request.rawQuery)
        let received = DeliveryEventRequest(headers: headers, body: request.body, url: url,
                                            notificationId: request.query["notificationId"])
        let events: [DeliveryEvent]
        do {
            events = try DeliveryEventReceiver.receive(provider: channel.provider, channelSettings: channel.settings, request: received)
        } catch let error as DeliveryEventError {
            count(channel.provider, error.code.rawValue)
            switch error.code {
            case .unauthorized, .stale:
                context.logger.info("delivery events refused", ("channelId", .string(channel.id)),
                                    ("provider", .string(channel.provider)), ("reason", .string(error.message)))
                throw unauthorized
            case .malformed:
                throw APIError.validation(["body: \(error.message)"])
            }
        }
        let outcomes = try await store.recordDeliveryEvents(channel: channel, events.map {
            Store.ReceivedEvent(kind: $0.kind.rawValue, eventKey: $0.eventKey, notificationId: $0.notificationId,
                                recipient: $0.recipient, detail: $0.detail, occurredAt: $0.occurredAt,
                                providerMessageId: $0.providerMessageId)
        })
        var recorded = 0
        for (event, outcome) in zip(events, outcomes) {
            guard case .recorded(let id, let notificationId, let suppressed, let streamed) = outcome else {
                count(channel.provider, "duplicate")
                continue
            }
            recorded += 1
            count(channel.provider, notificationId == nil ? "unmatched" : "recorded")
            context.logger.info("delivery event recorded", ("eventId", .string(id)), ("tenantId", .string(channel.tenantId)),
                                ("channelId", .string(channel.id)), ("provider", .string(channel.provider)),
                                ("kind", .string(event.kind.rawValue)),
                                ("notificationId", .string(notificationId ?? "")),
                                ("suppressed", .bool(suppressed)), ("streamed", .int(streamed)))
        }
        return .json(["status": "success", "received": .int(Int64(events.count)), "recorded": .int(Int64(recorded))])
    }
}
