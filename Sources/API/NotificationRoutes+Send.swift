import Crypto
import JSON
import Rendering
import Store

/// `POST /notifications/send` and its bulk form (issue 15). Lookups come from
/// SendLookupCache; the store writes concurrent sends in groups
/// (Store+SendGroup.swift). A send built on cached lookups that the database
/// finds stale, or that a cached lookup refuses, is built again afresh.
extension NotificationRoutes {
    /// Messages per bulk send at most.
    static let bulkLimit = 1_000
    /// Builds of one send at most (edits landing between each build and its write).
    static let sendBuilds = 3

    static func addSends(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store
        let lookups = SendLookupCache(store: store)

        routes.on("POST", "/notifications/send") { request, access in
            var input = Validator(try request.jsonObject())
            let tenantId = input.string("tenantId", pattern: Format.isId)
            let templateReference = input.string("template", min: 1, max: 200)
            let channelReference = input.string("channel", min: 1, max: 200)
            let variables = input.optionalObject("variables") ?? JSONObject()
            let recipient = input.optionalObject("input") ?? JSONObject()
            let idempotencyKey = request.header("idempotency-key")
            if let key = idempotencyKey, key.isEmpty || key.utf8.count > 255 {
                input.fail("Idempotency-Key: must be 1 to 255 characters")
            }
            let scheduledAt = scheduledTime(recipient["scheduledAt"] ?? input["scheduledAt"]) { input.fail($0) }
            try input.check()
            try await access.tenant(tenantId, .editConfig)
            let locale = recipient["locale"]?.stringValue ?? request.header("accept-language").map(Self.firstLanguage)
            let digest = Hex.encode(SHA256.hash(request.body))
            var fresh = false
            for _ in 0..<sendBuilds {
                let found = try await lookups.lookups(tenantId: tenantId, channel: channelReference,
                                                      template: templateReference, fresh: fresh)
                let new: Store.NewNotification
                do {
                    new = try notification(found, tenantId: tenantId, variables: variables, recipient: recipient, locale: locale)
                } catch let error as APIError {
                    guard found.cached else { throw error }
                    fresh = true // a refusal built on the cache is confirmed afresh
                    continue
                }
                let pending = Store.PendingSend(new, scheduledAt: scheduledAt, idempotencyKey: idempotencyKey,
                                                requestDigest: digest, lookupVersion: found.version)
                switch try await store.send(pending) {
                case .queued(let id):
                    var response = APIResponse.success
                    response.headers.append(("Location", "\(APIRoutes.basePath)/notifications/\(id)"))
                    return response
                case .keyConflict:
                    throw APIError(.conflict, "This Idempotency-Key was used with a different request body")
                case .staleLookups:
                    lookups.invalidate(tenantId: tenantId, upTo: found.version)
                    fresh = true
                }
            }
            throw APIError(.serviceUnavailable, "The tenant's channels or templates kept changing during the send, try again")
        }

        routes.on("POST", "/notifications/send/bulk") { request, access in
            var input = Validator(try request.jsonObject())
            let tenantId = input.string("tenantId", pattern: Format.isId)
            let templateReference = input.string("template", min: 1, max: 200)
            let channelReference = input.string("channel", min: 1, max: 200)
            var messages: [JSONValue] = []
            if let value = input["messages"], case .array(let items) = value, (1...bulkLimit).contains(items.count) {
                messages = items
            } else {
                input.fail("messages: must be an array of 1 to \(bulkLimit) messages")
            }
            try input.check()
            try await access.tenant(tenantId, .editConfig)
            let locale = request.header("accept-language").map(Self.firstLanguage)
            let answers = try await sendBulk(store: store, lookups: lookups, tenantId: tenantId, channel: channelReference,
                                             template: templateReference, messages: messages, locale: locale)
            return bulkResponse(answers)
        }
    }

    /// `scheduledAt` when present: an ISO 8601 date-time, else `fail` is told.
    static func scheduledTime(_ value: JSONValue?, fail: (String) -> Void) -> String? {
        guard let value, !value.isNull else { return nil }
        if let text = value.stringValue, Cursor(parsing: text) != nil { return text }
        fail("input.scheduledAt: must be an ISO-8601 date-time")
        return nil
    }

    /// Checks the lookups fit together and renders the message now, so
    /// template errors answer here rather than fail in the worker.
    static func notification(_ found: SendLookupCache.Lookups, tenantId: String, variables: JSONObject,
                             recipient: JSONObject, locale: String?) throws -> Store.NewNotification {
        let channel = found.channel, template = found.template
        guard template.type == channel.type.rawValue else {
            throw APIError.validation(["template: a \(template.type) template cannot go through a \(channel.type.rawValue) channel"])
        }
        guard channel.enabled else { throw APIError.validation(["channel: the channel is disabled"]) }
        let to = try Recipients.parse(recipient, type: channel.type)
        // Rendered with the tenant's context under the caller's variables, as previews show it;
        // the row keeps the caller's own variables (the message is rendered already).
        let data = found.context.merging(.object(variables))
        let rendered = try TemplateRendering.render(template.compiled, variables: data, locale: recipient["locale"]?.stringValue ?? locale,
                                                    partials: template.partials)
        return Store.NewNotification(tenantId: tenantId, templateId: template.id, templateName: template.name,
                                     channelId: channel.id, type: channel.type, to: to, locale: rendered.locale,
                                     variables: .object(variables), rendered: rendered.jsonDocument)
    }
}
