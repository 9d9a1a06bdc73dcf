import Postgres

/// The auth and media stats: counted sources for Store+Stats.swift, plus
/// cumulative totals, byte sums per window and per day, and the newest rows
/// of a window (recent sign-ups and sign-ins).
extension Store.StatsSource {
    public static let users = Self(table: "users", timestamp: "created_at", condition: "true")
    /// Users whose last activity falls in the window.
    public static let activeUsers = Self(table: "users", timestamp: "last_active_at", condition: "true")
    /// Every session is a sign-in.
    public static let sessions = Self(table: "sessions", timestamp: "created_at", condition: "true")
    public static let uploads = Self(table: "uploads", timestamp: "created_at", condition: "true")
    public static let files = Self(table: "files", timestamp: "created_at", condition: "true")
    /// Files still kept, for storage totals.
    public static let keptFiles = Self(table: "files", timestamp: "created_at", condition: "deleted_at IS NULL")
}

extension Store {
    /// The window's SQL bounds with `$1` tenant, `$2`/`$3` custom from/to (as Store+Stats.swift resolves them).
    private static func statsWindow(_ range: StatsRange) -> (start: String, end: String, previousStart: String) {
        let cycle = """
            (coalesce((SELECT s.current_period_start FROM tenant_subscriptions s WHERE s.tenant_id = $1),
                      date_trunc('month', now())))
            """
        let bounds = range.bounds(cycle: cycle, from: "$2", to: "$3")
        let previousStart = range == .allTime
            ? "'-infinity'::timestamptz" : "(\(bounds.start)) - ((\(bounds.end)) - (\(bounds.start)))"
        return (bounds.start, bounds.end, previousStart)
    }

    public enum StatsMeasure: Sendable {
        case count
        /// The sum of a bigint column (bytes).
        case sum(column: String)

        /// The aggregate over the rows matching `condition`.
        func sql(where condition: String) -> String {
            switch self {
            case .count: return "count(*) FILTER (WHERE \(condition))"
            case .sum(let column): return "coalesce(sum(\(column)) FILTER (WHERE \(condition)), 0)"
            }
        }
    }

    /// A figure over the window (or, `cumulative`, everything before the
    /// window's end) against the same for the window before.
    public func statFigure(tenantId: String, range: StatsRange, from: String?, to: String?, name: String,
                           source: StatsSource, measure: StatsMeasure = .count, cumulative: Bool = false) async throws -> StatFigure {
        let window = Self.statsWindow(range)
        let ts = source.timestamp
        let current = cumulative ? "\(ts) < \(window.end)" : "\(ts) >= \(window.start) AND \(ts) < \(window.end)"
        let previous = cumulative ? "\(ts) < \(window.start)" : "\(ts) >= \(window.previousStart) AND \(ts) < \(window.start)"
        return try await pool.withConnection { connection in
            let row = try connection.query("""
                SELECT (\(measure.sql(where: current)))::bigint, (\(measure.sql(where: previous)))::bigint
                FROM \(source.table) WHERE tenant_id = $1 AND \(source.condition)
                  AND ($2::text IS NULL OR true) AND ($3::text IS NULL OR true)
                """, [tenantId, from, to])[0]
            let value = Int(try row.decode(0, as: Int64.self))
            // All time has no window before it, except for totals, which start from nothing.
            let before = range == .allTime ? 0 : Int(try row.decode(1, as: Int64.self))
            return StatFigure(name: name, value: value, previous: before)
        }
    }

    /// `[(day, sum)]` of a bigint column for every day of the window, zeros included.
    public func statsSumPerDay(tenantId: String, range: StatsRange, from: String?, to: String?,
                               source: StatsSource, column: String) async throws -> [(day: String, total: Int64)] {
        let window = Self.statsWindow(range)
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
                       (SELECT coalesce(sum(x.\(column)), 0)::bigint FROM \(source.table) x WHERE x.tenant_id = $1
                          AND \(source.condition)
                          AND x.\(source.timestamp) >= d.day AND x.\(source.timestamp) < d.day + interval '1 day')
                FROM days d ORDER BY d.day
                """, [tenantId, from, to]).map { (try $0.decode(0, as: String.self), try $0.decode(1, as: Int64.self)) }
        }
    }

    /// The newest users created in the window.
    public func recentSignUpsJSON(tenantId: String, range: StatsRange, from: String?, to: String?, limit: Int) async throws -> [String] {
        try await recent(table: "users", projection: Projection.userT, tenantId: tenantId, range: range,
                         from: from, to: to, limit: limit)
    }

    /// The newest sessions (sign-ins) started in the window.
    public func recentSignInsJSON(tenantId: String, range: StatsRange, from: String?, to: String?, limit: Int) async throws -> [String] {
        try await recent(table: "sessions", projection: Projection.session, tenantId: tenantId, range: range,
                         from: from, to: to, limit: limit)
    }

    private func recent(table: String, projection: String, tenantId: String, range: StatsRange,
                        from: String?, to: String?, limit: Int) async throws -> [String] {
        let window = Self.statsWindow(range)
        return try await pool.withConnection { connection in
            try connection.query("""
                SELECT (\(projection))::text FROM \(table) t
                WHERE t.tenant_id = $1 AND t.created_at >= \(window.start) AND t.created_at < \(window.end)
                  AND ($2::text IS NULL OR true) AND ($3::text IS NULL OR true)
                ORDER BY t.created_at DESC, t.seq DESC LIMIT $4
                """, [tenantId, from, to, limit]).map { try $0.decode(0, as: String.self) }
        }
    }
}
