import Metrics
import Postgres
import Store

extension Services {
    /// Families every Herald process exposes, and the gauges read at scrape
    /// time: pool use, queue depth by status and type, the oldest queued age.
    static func registerMetrics(_ metrics: MetricsRegistry, pools: [(name: String, pool: PostgresPool)]) {
        metrics.register("herald_db_pool_connections", .gauge, help: "PostgreSQL pool connections by state",
                         labels: ["pool", "state"])
        metrics.register("herald_queue_depth", .gauge, help: "Notifications waiting or being sent, by status and type",
                         labels: ["status", "type"])
        metrics.register("herald_queue_oldest_queued_age_seconds", .gauge,
                         help: "Age of the oldest notification ready to send")
        metrics.collect {
            pools.flatMap { entry -> [(name: String, labels: [String: String], value: Double)] in
                let stats = entry.pool.stats
                return [("in_use", stats.inUse), ("idle", stats.idle), ("waiting", stats.waiting), ("total", stats.total)].map {
                    ("herald_db_pool_connections", ["pool": entry.name, "state": $0.0], Double($0.1))
                }
            }
        }
        guard let pool = pools.first?.pool else { return }
        metrics.collect {
            guard let depth = try? await pool.withConnection({ connection in
                try connection.query("""
                    SELECT s.status, t.type, coalesce(c.count, 0) AS count
                    FROM (VALUES ('queued'), ('sending')) s(status)
                    CROSS JOIN (VALUES ('email'), ('sms'), ('push'), ('webhook'), ('inapp'), ('chat')) t(type)
                    LEFT JOIN (
                      SELECT CASE WHEN j.locked_by IS NULL THEN 'queued' ELSE 'sending' END AS status, n.type, count(*) AS count
                      FROM notification_queue j JOIN notifications n ON n.id = j.id GROUP BY 1, 2
                    ) c ON c.status = s.status AND c.type = t.type
                    """).map { (try $0.decode("status", as: String.self), try $0.decode("type", as: String.self), try $0.decode("count", as: Int.self)) }
            }) else { return [] }
            let oldest = (try? await pool.withConnection { connection in
                try connection.query("""
                    SELECT coalesce(extract(epoch FROM now() - min(r.oldest)), 0)::float8 AS age
                    FROM unnest('{0,1,2}'::smallint[]) p(priority) CROSS JOIN LATERAL (
                      SELECT min(run_at) AS oldest FROM notification_queue
                      WHERE locked_by IS NULL AND priority = p.priority AND run_at <= now()) r
                    """)[0].decode("age", as: Double.self)
            }) ?? 0
            return depth.map { ("herald_queue_depth", ["status": $0.0, "type": $0.1], Double($0.2)) }
                + [("herald_queue_oldest_queued_age_seconds", [:], oldest)]
        }
    }
}
