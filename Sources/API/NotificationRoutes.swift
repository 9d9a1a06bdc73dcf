import Crypto
import JSON
import Rendering
import Store

/// Sending, the per-type logs, one notification with its attempts, operator
/// actions, and the notification stats.
enum NotificationRoutes {
    /// The log paths and the type each lists.
    static let logs: [String: ChannelType] = ["emails": .email, "sms": .sms, "push": .push, "inapp": .inapp, "webhooks": .webhook]

    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

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
            var scheduledAt: String?
            if let value = recipient["scheduledAt"] ?? input["scheduledAt"], !value.isNull {
                if let text = value.stringValue, Cursor(parsing: text) != nil { scheduledAt = text } else {
                    input.fail("input.scheduledAt: must be an ISO-8601 date-time")
                }
            }
            try input.check()
            try await access.tenant(tenantId, .editConfig)
            // The tenant's context (Store.sendContext) needs nothing below: fetched meanwhile, not after.
            async let context = store.sendContext(tenantId: tenantId)
            guard let channel = try await store.channelForSending(reference: channelReference, tenantId: tenantId) else {
                throw APIError.validation(["channel: no channel with this key or id in the tenant"])
            }
            guard let template = try await store.template(reference: templateReference, tenantId: tenantId, type: channel.type.rawValue)
            else { throw APIError.validation(["template: no \(channel.type.rawValue) template with this name or id in the tenant"]) }
            guard template.type == channel.type.rawValue else {
                throw APIError.validation(["template: a \(template.type) template cannot go through a \(channel.type.rawValue) channel"])
            }
            guard channel.enabled else { throw APIError.validation(["channel: the channel is disabled"]) }
            let to = try Recipients.parse(recipient, type: channel.type)
            // Render once now, so template errors answer here rather than fail in the worker.
            let compiled = try TemplateRendering.compile(template)
            let partials = try await TemplateRendering.partials(for: compiled, tenantId: tenantId, store: store)
            let locale = recipient["locale"]?.stringValue ?? request.header("accept-language").map(Self.firstLanguage)
            // Rendered with the tenant's context under the caller's variables, as previews show it;
            // the row keeps the caller's own variables (the message is rendered already).
            let data = try await context.merging(.object(variables))
            let rendered = try TemplateRendering.render(compiled, variables: data, locale: locale, partials: partials)
            let outcome = try await store.send(
                Store.NewNotification(tenantId: tenantId, templateId: template.id, templateName: template.name,
                                      channelId: channel.id, type: channel.type, to: to, locale: rendered.locale,
                                      variables: .object(variables), rendered: rendered.jsonDocument),
                scheduledAt: scheduledAt, idempotencyKey: idempotencyKey,
                requestDigest: Hex.encode(SHA256.hash(request.body)))
            switch outcome {
            case .queued(let id):
                var response = APIResponse.success
                response.headers.append(("Location", "\(APIRoutes.basePath)/notifications/\(id)"))
                return response
            case .keyConflict:
                throw APIError(.conflict, "This Idempotency-Key was used with a different request body")
            }
        }

        for (path, type) in logs {
            routes.on("GET", "/tenants/:tenantId/notifications/\(path)") { request, access in
                let tenantId = try request.id("tenantId")
                try await access.tenant(tenantId, .viewConfig)
                return .list(try await store.notificationsPage(tenantId: tenantId, type: type, try request.pageRequest()))
            }
        }

        routes.owned("GET", "/notifications/:id", .viewConfig, lookup: store.notificationTenant) { request, access, id, tenantId in
            guard let json = try await store.notificationJSON(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .envelope(json)
        }

        for (path, action) in [("retry", Store.OperatorAction.retry), ("cancel", .cancel)] {
            routes.owned("POST", "/notifications/:id/\(path)", .editConfig, lookup: store.notificationTenant) { request, access, id, tenantId in
                switch try await store.apply(action, notificationId: id, tenantId: tenantId) {
                case .done(let json): return .envelope(json)
                case .notFound: throw APIError.notFound
                case .wrongState(let status):
                    throw APIError(.conflict, "A \(status.rawValue) notification cannot be \(action == .retry ? "retried" : "cancelled")")
                }
            }
        }

        routes.on("GET", "/notifications/stats") { request, access in
            let (tenantId, range, from, to) = try statsQuery(request)
            try await access.tenant(tenantId, .viewConfig)
            let figures = try await store.statFigures(tenantId: tenantId, range: range, from: from, to: to, figures: [
                ("Notifications", .notifications), ("Sent", .notifications(status: .sent)),
                ("Failed", .notifications(status: .failed)), ("Emails", .notifications(type: .email)),
                ("SMS", .notifications(type: .sms)),
            ] + deliveryFigures)
            return .json(.array(figures.map {
                ["name": .string($0.name), "value": .int(Int64($0.value)), "change": .double($0.change),
                 "changeType": .string($0.changeType)]
            }))
        }

        routes.on("GET", "/notifications/stats/day") { request, access in
            let (tenantId, range, from, to) = try statsQuery(request)
            try await access.tenant(tenantId, .viewConfig)
            let days = try await store.statsPerDay(tenantId: tenantId, range: range, from: from, to: to, source: .notifications)
            return .json(.array(days.map { ["day": .string($0.day), "count": .int(Int64($0.count))] }))
        }
    }

    /// What providers said later (issue 14), as more figures of the same
    /// shape: notifications of the window by their delivery status.
    static let deliveryFigures: [(String, Store.StatsSource)] = [
        ("Delivered", .notifications(deliveryStatus: ["delivered", "opened", "clicked"])),
        ("Opened", .notifications(deliveryStatus: ["opened", "clicked"])),
        ("Bounced", .notifications(deliveryStatus: ["bounced", "soft_bounced"])),
        ("Complained", .notifications(deliveryStatus: ["complained"])),
    ]

    /// `tenantId`, `filterRangeType` and, for `custom`, `from` and `to`.
    static func statsQuery(_ request: APIRequest) throws -> (String, StatsRange, String?, String?) {
        var issues: [String] = []
        let tenantId = request.query["tenantId"] ?? ""
        if !Format.isId(tenantId) { issues.append("tenantId: Required") }
        let range = StatsRange(rawValue: request.query["filterRangeType"] ?? StatsRange.default.rawValue)
        if range == nil {
            issues.append("filterRangeType: must be one of \(StatsRange.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var from: String?, to: String?
        if range == .custom {
            from = request.query["from"]
            to = request.query["to"]
            if from.flatMap(Cursor.init(parsing:)) == nil || to.flatMap(Cursor.init(parsing:)) == nil {
                issues.append("from, to: custom ranges need ISO-8601 date-times in `from` and `to`")
            }
        }
        guard issues.isEmpty, let range else { throw APIError.validation(issues) }
        return (tenantId, range, from, to)
    }

    /// `de-AT,de;q=0.9,en;q=0.8` → `de-AT`.
    static func firstLanguage(_ header: String) -> String {
        let first = header.split(separator: ",").first.map(String.init) ?? ""
        return String(first.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces)
    }
}
