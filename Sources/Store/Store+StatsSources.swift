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
        return try await database.withConnection { connection in
            let row = try connection.query("""
                SELECT (\(measure.sql(where: current)))::bigint AS current, (\(measure.sql(where: previous)))::bigint AS previous
                FROM \(source.table) WHERE tenant_id = $1 AND \(source.condition)
                  AND ($2::text IS NULL OR true) AND ($3::text IS NULL OR true)
                """, [tenantId, from, to])[0]
            let value = Int(try row.decode("current", as: Int64.self))
            // All time has no window before it, except for totals, which start from nothing.
            let before = range == .allTime ? 0 : Int(try row.decode("previous", as: Int64.self))
            return StatFigure(name: name, value: value, previous: before)
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
        return try await database.withConnection { connection in
            try connection.query("""
                SELECT (\(projection))::text AS json FROM \(table) t
                WHERE t.tenant_id = $1 AND t.created_at >= \(window.start) AND t.created_at < \(window.end)
                  AND ($2::text IS NULL OR true) AND ($3::text IS NULL OR true)
                ORDER BY t.created_at DESC, t.seq DESC LIMIT $4
                """, [tenantId, from, to, limit]).map { try $0.decode("json", as: String.self) }
        }
    }
}
