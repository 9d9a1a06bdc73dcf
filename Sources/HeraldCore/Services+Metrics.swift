import Metrics
import Postgres
import Store

extension Services {
    /// Families every Herald process exposes, and the gauges read at scrape
    /// time: pool use, queue depth by status and type, the oldest queued age.
    static func registerMetrics(_ metrics: MetricsRegistry, pools: [(name: String, pool: PostgresPool)], probe: PostgresPool) {
        metrics.register("herald_db_pool_connections", .gauge, help: "PostgreSQL pool connections by state",
                         labels: ["pool", "state"])
        metrics.register("herald_queue_depth", .gauge, help: "Notifications waiting or being sent, by status and type",
                         labels: ["status", "type"])
        metrics.register("herald_queue_oldest_queued_age_seconds", .gauge,
                         help: "Age of the oldest notification ready to send")
        metrics.register("herald_channel_circuit_state", .gauge,
                         help: "Channels whose circuit breaker is not closed (1 per channel and state), as workers last reported",
                         labels: ["channel_id", "provider", "state"])
        metrics.collect {
            pools.flatMap { entry -> [(name: String, labels: [String: String], value: Double)] in
                let stats = entry.pool.stats
                return [("in_use", stats.inUse), ("idle", stats.idle), ("waiting", stats.waiting), ("total", stats.total)].map {
                    ("herald_db_pool_connections", ["pool": entry.name, "state": $0.0], Double($0.1))
                }
            }
        }
        // Read through the probe pool within 2 s: a scrape must answer while
        // the database is unreachable (the gauges are then left out).
        metrics.collect {
            async let depthRead = firstWithin(.seconds(2), otherwise: nil) { try? await Store.queueDepth(probe) }
            async let oldestRead = firstWithin(.seconds(2), otherwise: nil) { try? await Store.oldestQueuedAge(probe) }
            async let circuitsRead = firstWithin(.seconds(2), otherwise: nil) { try? await Store.circuitStates(probe) }
            let (depth, oldest, circuits) = await (depthRead, oldestRead, circuitsRead)
            return (depth ?? []).map { ("herald_queue_depth", ["status": $0.status.rawValue, "type": $0.type.rawValue], Double($0.count)) }
                + (oldest.map { [("herald_queue_oldest_queued_age_seconds", [:], $0)] } ?? [])
                + (circuits ?? []).map { ("herald_channel_circuit_state",
                                          ["channel_id": $0.channelId, "provider": $0.provider, "state": $0.state], 1.0) }
        }
    }
}
