import Postgres

/// Counts over time for the stats endpoints, computed by SQL from Herald's own tables.
extension Store {
    /// A counted table: which rows, by which timestamp. Constants of the code, never input.
    public struct StatsSource: Sendable {
        let table: String
        let timestamp: String
        let condition: String

        public static let notifications = StatsSource(table: "notifications", timestamp: "created_at", condition: "true")
        public static func notifications(status: String) -> StatsSource {
            StatsSource(table: "notifications", timestamp: "created_at", condition: "status = '\(status)'")
        }
        public static func notifications(type: String) -> StatsSource {
            StatsSource(table: "notifications", timestamp: "created_at", condition: "type = '\(type)'")
        }
    }

    /// The window's SQL bounds with `$1` tenant, `$2` custom from, `$3` custom to.
    private static func window(_ range: StatsRange) -> (start: String, end: String, length: String) {
        let cycle = """
            coalesce((SELECT s.current_period_start FROM tenant_subscriptions s WHERE s.tenant_id = $1),
                     date_trunc('month', now()))
            """
        let bounds = range.bounds(cycle: "(\(cycle))", from: "$2", to: "$3")
        return (bounds.start, bounds.end, "(\(bounds.end)) - (\(bounds.start))")
    }

    /// Each figure counted in the window and in the window of the same length before it.
    public func statFigures(tenantId: String, range: StatsRange, from: String?, to: String?,
                            figures: [(name: String, source: StatsSource)]) async throws -> [StatFigure] {
        let window = Self.window(range)
        return try await pool.withConnection { connection in
            try figures.map { figure in
                let source = figure.source
                let previousStart = range == .allTime ? "'-infinity'::timestamptz" : "(\(window.start)) - (\(window.length))"
                let row = try connection.query("""
                    SELECT count(*) FILTER (WHERE \(source.timestamp) >= \(window.start) AND \(source.timestamp) < \(window.end)),
                           count(*) FILTER (WHERE \(source.timestamp) >= \(previousStart) AND \(source.timestamp) < \(window.start))
                    FROM \(source.table) WHERE tenant_id = $1 AND \(source.condition)
                      -- $2 and $3 (custom bounds) are typed here even when the window does not use them.
                      AND ($2::text IS NULL OR true) AND ($3::text IS NULL OR true)
                    """, [tenantId, from, to])[0]
                return StatFigure(name: figure.name, value: try row.decode(0, as: Int.self),
                                  previous: range == .allTime ? 0 : try row.decode(1, as: Int.self))
            }
        }
    }

    /// `[{day, count}]` for every day of the window (all time: from the first row), zeros included.
    public func statsPerDay(tenantId: String, range: StatsRange, from: String?, to: String?,
                            source: StatsSource) async throws -> [(day: String, count: Int)] {
        let window = Self.window(range)
        let start = range == .allTime
            ? "coalesce((SELECT min(\(source.timestamp)) FROM \(source.table) WHERE tenant_id = $1), now())" : window.start
        let end = range == .allTime ? "now() + interval '1 day'" : window.end
        return try await pool.withConnection { connection in
            try connection.query("""
                WITH days AS (
                  SELECT generate_series(date_trunc('day', \(start)), date_trunc('day', (\(end)) - interval '1 microsecond'),
                                         interval '1 day') AS day
                  WHERE ($2::text IS NULL OR true) AND ($3::text IS NULL OR true))
                SELECT to_char(d.day, 'YYYY-MM-DD'),
                       (SELECT count(*) FROM \(source.table) x WHERE x.tenant_id = $1 AND \(source.condition)
                          AND x.\(source.timestamp) >= d.day AND x.\(source.timestamp) < d.day + interval '1 day')
                FROM days d ORDER BY d.day
                """, [tenantId, from, to]).map { (try $0.decode(0, as: String.self), try $0.decode(1, as: Int.self)) }
        }
    }
}
