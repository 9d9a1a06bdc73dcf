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

        addSends(to: &routes, context)

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
