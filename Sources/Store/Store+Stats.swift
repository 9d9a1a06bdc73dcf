import Postgres

/// Counts over time for the stats endpoints, computed by SQL from Herald's own tables.
extension Store {
    /// A counted table: which rows, by which timestamp. Constants of the code, never input.
    public struct StatsSource: Sendable {
        let table: String
        let timestamp: String
        let condition: String

        public static let notifications = StatsSource(table: "notifications", timestamp: "created_at", condition: "true")
        // The raw values are constants of the code (NotificationKinds.swift), never input.
        public static func notifications(status: NotificationStatus) -> StatsSource {
            StatsSource(table: "notifications", timestamp: "created_at", condition: "status = '\(status.rawValue)'")
        }
        public static func notifications(type: ChannelType) -> StatsSource {
            StatsSource(table: "notifications", timestamp: "created_at", condition: "type = '\(type.rawValue)'")
        }
    }

    /// The window's SQL bounds with `$1` tenant, `$2`/`$3` custom from/to, and
    /// the start of the window of the same length before it. Every stats query
    /// binds all three parameters and mentions `$2`/`$3` so their types are
    /// known even when the range does not use them.
    static func statsWindow(_ range: StatsRange) -> (start: String, end: String, previousStart: String) {
        let cycle = """
            (coalesce((SELECT s.current_period_start FROM tenant_subscriptions s WHERE s.tenant_id = $1),
                      date_trunc('month', now())))
            """
        let bounds = range.bounds(cycle: cycle, from: "$2", to: "$3")
        let previousStart = range == .allTime
            ? "'-infinity'::timestamptz" : "(\(bounds.start)) - ((\(bounds.end)) - (\(bounds.start)))"
        return (bounds.start, bounds.end, previousStart)
    }

    /// Each figure counted in the window and in the window of the same length before it.
    public func statFigures(tenantId: String, range: StatsRange, from: String?, to: String?,
                            figures: [(name: String, source: StatsSource)]) async throws -> [StatFigure] {
        var results: [StatFigure] = []
        for figure in figures {
            results.append(try await statFigure(tenantId: tenantId, range: range, from: from, to: to,
                                                name: figure.name, source: figure.source))
        }
        return results
    }

    /// `[{day, count}]` for every day of the window (all time: from the first row), zeros included.
    public func statsPerDay(tenantId: String, range: StatsRange, from: String?, to: String?,
                            source: StatsSource) async throws -> [(day: String, count: Int)] {
        try await perDay(tenantId: tenantId, range: range, from: from, to: to, source: source, measure: .count)
            .map { ($0.day, Int($0.value)) }
    }

    /// `[(day, sum)]` of a bigint column for every day of the window, zeros included.
    public func statsSumPerDay(tenantId: String, range: StatsRange, from: String?, to: String?,
                               source: StatsSource, column: String) async throws -> [(day: String, total: Int64)] {
        try await perDay(tenantId: tenantId, range: range, from: from, to: to, source: source, measure: .sum(column: column))
            .map { ($0.day, $0.value) }
    }

    private func perDay(tenantId: String, range: StatsRange, from: String?, to: String?, source: StatsSource,
                        measure: StatsMeasure) async throws -> [(day: String, value: Int64)] {
        let window = Self.statsWindow(range)
        let start = range == .allTime
            ? "coalesce((SELECT min(\(source.timestamp)) FROM \(source.table) WHERE tenant_id = $1), now())" : window.start
        let end = range == .allTime ? "now() + interval '1 day'" : window.end
        let day = "x.\(source.timestamp) >= d.day AND x.\(source.timestamp) < d.day + interval '1 day'"
        return try await database.withConnection { connection in
            try connection.query("""
                WITH days AS (
                  SELECT generate_series(date_trunc('day', \(start)), date_trunc('day', (\(end)) - interval '1 microsecond'),
                                         interval '1 day') AS day
                  WHERE ($2::text IS NULL OR true) AND ($3::text IS NULL OR true))
                SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
                       (SELECT (\(measure.sql(where: "true")))::bigint FROM \(source.table) x
                        WHERE x.tenant_id = $1 AND \(source.condition) AND \(day)) AS value
                FROM days d ORDER BY d.day
                """, [tenantId, from, to]).map { (try $0.decode("day", as: String.self), try $0.decode("value", as: Int64.self)) }
        }
    }
}
