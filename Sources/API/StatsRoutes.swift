import JSON
import Store

/// The auth and media stats: figures with their change against the window
/// before, per-day series and the newest rows, all with `filterRangeType`
/// (NotificationRoutes.statsQuery) and computed by SQL.
enum StatsRoutes {
    static let recentLimit = 10

    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.on("GET", "/auth/stats") { request, access in
            let (tenantId, range, from, to) = try NotificationRoutes.statsQuery(request)
            try await access.tenant(tenantId, .viewUsers)
            func figure(_ name: String, _ source: Store.StatsSource, cumulative: Bool = false) async throws -> StatFigure {
                try await store.statFigure(tenantId: tenantId, range: range, from: from, to: to, name: name,
                                           source: source, cumulative: cumulative)
            }
            let figures = [
                try await figure("Total Users", .users, cumulative: true), try await figure("Active Users", .activeUsers),
                try await figure("Sign Ups", .users), try await figure("Sign Ins", .sessions),
            ]
            // The auth stats name their directions up, down and none.
            return .json(.array(figures.map {
                ["name": .string($0.name), "value": .int(Int64($0.value)), "change": .double($0.change),
                 "changeType": .string(["increase": "up", "decrease": "down"][$0.changeType] ?? "none")]
            }))
        }

        routes.on("GET", "/auth/stats/recent-sign-ups") { request, access in
            let (tenantId, range, from, to) = try NotificationRoutes.statsQuery(request)
            try await access.tenant(tenantId, .viewUsers)
            return .array(try await store.recentSignUpsJSON(tenantId: tenantId, range: range, from: from, to: to,
                                                            limit: recentLimit))
        }

        routes.on("GET", "/auth/stats/recent-sign-ins") { request, access in
            let (tenantId, range, from, to) = try NotificationRoutes.statsQuery(request)
            try await access.tenant(tenantId, .viewUsers)
            return .array(try await store.recentSignInsJSON(tenantId: tenantId, range: range, from: from, to: to,
                                                            limit: recentLimit))
        }

        for (path, source, role) in [("/auth/stats/sign-ups-by-day", Store.StatsSource.users, MemberRoles.viewUsers),
                                     ("/auth/stats/sessions-by-day", .sessions, .viewUsers),
                                     ("/media/stats/uploads-by-day", .uploads, .viewConfig)] {
            routes.on("GET", path) { request, access in
                let (tenantId, range, from, to) = try NotificationRoutes.statsQuery(request)
                try await access.tenant(tenantId, role)
                let days = try await store.statsPerDay(tenantId: tenantId, range: range, from: from, to: to, source: source)
                return .json(.array(days.map { ["date": .string($0.day), "count": .int(Int64($0.count))] }))
            }
        }

        routes.on("GET", "/media/stats/upload-size-by-day") { request, access in
            let (tenantId, range, from, to) = try NotificationRoutes.statsQuery(request)
            try await access.tenant(tenantId, .viewConfig)
            let days = try await store.statsSumPerDay(tenantId: tenantId, range: range, from: from, to: to,
                                                      source: .uploads, column: "size")
            return .json(.array(days.map { ["date": .string($0.day), "size": .int($0.total)] }))
        }

        routes.on("GET", "/media/stats") { request, access in
            let (tenantId, range, from, to) = try NotificationRoutes.statsQuery(request)
            try await access.tenant(tenantId, .viewConfig)
            func figure(_ name: String, _ source: Store.StatsSource, _ measure: Store.StatsMeasure = .count,
                        cumulative: Bool = false) async throws -> StatFigure {
                try await store.statFigure(tenantId: tenantId, range: range, from: from, to: to, name: name,
                                           source: source, measure: measure, cumulative: cumulative)
            }
            let figures: [(StatFigure, String?)] = [
                (try await figure("Uploads", .uploads), nil),
                (try await figure("Upload Size", .uploads, .sum(column: "size")), "bytes"),
                (try await figure("Files", .files), nil),
                (try await figure("Storage", .keptFiles, .sum(column: "size"), cumulative: true), "bytes"),
            ]
            return .json(.array(figures.map { figure, unit in
                ["name": .string(figure.name), "value": .int(Int64(figure.value)), "unit": unit.map(JSONValue.string) ?? .null,
                 "change": .double(figure.change), "changeType": .string(figure.changeType)]
            }))
        }
    }
}
