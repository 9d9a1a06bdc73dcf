import Postgres

/// The queue gauges `/metrics` reports, read at scrape time.
extension Store {
    public struct QueueDepth: Sendable {
        public var status: String
        public var type: String
        public var count: Int
    }

    /// Notifications waiting (`queued`) or claimed (`sending`), by channel type;
    /// every status and type appears, with 0 when there are none.
    public static func queueDepth(_ pool: PostgresPool) async throws -> [QueueDepth] {
        try await pool.query("""
            SELECT s.status, t.type, coalesce(c.count, 0)::int8 AS count
            FROM (VALUES ('queued'), ('sending')) s(status)
            CROSS JOIN (VALUES ('email'), ('sms'), ('push'), ('webhook'), ('inapp'), ('chat')) t(type)
            LEFT JOIN (
              SELECT CASE WHEN j.locked_by IS NULL THEN 'queued' ELSE 'sending' END AS status, n.type, count(*) AS count
              FROM notification_queue j JOIN notifications n ON n.id = j.id GROUP BY 1, 2
            ) c ON c.status = s.status AND c.type = t.type
            """).map { QueueDepth(status: try $0.decode("status"), type: try $0.decode("type"), count: try $0.decode("count")) }
    }

    /// Seconds since the oldest notification ready to send became due (0 when none is).
    public static func oldestQueuedAge(_ pool: PostgresPool) async throws -> Double {
        try await pool.query("""
            SELECT coalesce(extract(epoch FROM now() - min(r.oldest)), 0)::float8 AS age
            FROM unnest('{0,1,2}'::smallint[]) p(priority) CROSS JOIN LATERAL (
              SELECT min(run_at) AS oldest FROM notification_queue
              WHERE locked_by IS NULL AND priority = p.priority AND run_at <= now()) r
            """)[0].decode("age")
    }
}
