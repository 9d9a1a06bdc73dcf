import Foundation
import JSON
import Postgres

/// Failover's SQL (issue 14): rows put back without an attempt while their
/// whole channel chain's circuits are open, the circuits as workers report
/// them (`channel_circuits`), and the fallback graph the API validates.
extension Store {
    /// A circuit's state as a worker reports it on a change.
    public struct CircuitRecord: Sendable, Equatable {
        public var channelId: String
        public var tenantId: String
        /// `closed`, `open` or `half_open`.
        public var state: String
        public var failures: Int
        public var lastError: String?
        public var openedAt: Date?
        public var retryAt: Date?

        public init(channelId: String, tenantId: String, state: String, failures: Int, lastError: String?,
                    openedAt: Date?, retryAt: Date?) {
            self.channelId = channelId
            self.tenantId = tenantId
            self.state = state
            self.failures = failures
            self.lastError = lastError
            self.openedAt = openedAt
            self.retryAt = retryAt
        }
    }

    /// Puts claimed rows back untried: the attempt the claim counted is
    /// returned (like `release`), no attempt row and no notification update
    /// are written, and each row is ready again after its delay at the step
    /// its chain resumes at. Answers the ids this worker still held.
    static func postpone(_ connection: PostgresConnection, workerId: String, outcomes: [QueueOutcome]) throws -> Set<String> {
        guard !outcomes.isEmpty else { return [] }
        let rows = try connection.query("""
            UPDATE notification_queue j SET attempts = greatest(j.attempts - 1, 0), locked_by = NULL, locked_until = NULL,
              claimed_at = NULL, run_at = now() + r.delay_ms * interval '1 millisecond', channel_step = r.step,
              channel_pinned = r.pinned
            FROM unnest($2::text[], $3::int8[], $4::int[], $5::bool[]) AS r(id, delay_ms, step, pinned)
            WHERE j.id = r.id AND j.locked_by = $1
            RETURNING j.id
            """, [workerId, outcomes.map(\.id), outcomes.map(\.retryDelay.wholeMilliseconds), outcomes.map(\.nextStep),
                  outcomes.map(\.pinned)])
        return Set(try rows.map { try $0.decode("id", as: String.self) })
    }

    /// Writes circuit changes, the newest per channel winning.
    static func recordCircuits(_ connection: PostgresConnection, _ records: [CircuitRecord]) throws {
        guard !records.isEmpty else { return }
        _ = try connection.query("""
            INSERT INTO channel_circuits AS c (channel_id, tenant_id, state, failures, last_error, opened_at, retry_at, updated_at)
            SELECT r.channel_id, r.tenant_id, r.state, r.failures, r.last_error, to_timestamp(r.opened_at),
                   to_timestamp(r.retry_at), herald_now()
            FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::float8[], $7::float8[])
              AS r(channel_id, tenant_id, state, failures, last_error, opened_at, retry_at)
            WHERE EXISTS (SELECT 1 FROM channels ch WHERE ch.id = r.channel_id)
            ON CONFLICT (channel_id) DO UPDATE SET state = EXCLUDED.state, failures = EXCLUDED.failures,
              last_error = EXCLUDED.last_error, opened_at = EXCLUDED.opened_at, retry_at = EXCLUDED.retry_at,
              updated_at = EXCLUDED.updated_at
            """, [records.map(\.channelId), records.map(\.tenantId), records.map(\.state), records.map(\.failures),
                  records.map { $0.lastError.map(trimmed) }, records.map { $0.openedAt?.timeIntervalSince1970 },
                  records.map { $0.retryAt?.timeIntervalSince1970 }])
    }

    /// The channel's circuit for the API: `closed` with no failures when no
    /// worker ever reported one.
    public func circuitJSON(channelId: String, tenantId: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("""
                SELECT json_build_object('state', coalesce(c.state, 'closed'), 'failures', coalesce(c.failures, 0),
                  'lastError', c.last_error, 'openedAt', herald_ts(c.opened_at), 'retryAt', herald_ts(c.retry_at),
                  'updatedAt', herald_ts(c.updated_at))::text AS json
                FROM channels ch LEFT JOIN channel_circuits c ON c.channel_id = ch.id
                WHERE ch.id = $1 AND ch.tenant_id = $2
                """, [channelId, tenantId]).first?.decode("json", as: String.self)
        }
    }

    /// The `Herald-Circuit` header of a channel's GET: nil while closed
    /// with no failures (nothing to say).
    public func circuitHeader(channelId: String, tenantId: String) async throws -> String? {
        try await database.withConnection { connection in
            guard let row = try connection.query("""
                SELECT state, failures, herald_ts(retry_at) AS retry_at FROM channel_circuits
                WHERE channel_id = $1 AND tenant_id = $2 AND (state <> 'closed' OR failures > 0)
                """, [channelId, tenantId]).first else { return nil }
            var header = "\(try row.decode("state", as: String.self)); failures=\(try row.decode("failures", as: Int.self))"
            if let retryAt = try row.optional("retry_at", as: String.self) { header += "; retry-at=\(retryAt)" }
            return header
        }
    }

    /// Circuits that are not closed, for `/metrics` (read through the probe pool).
    public static func circuitStates(_ pool: PostgresPool) async throws -> [(channelId: String, provider: String, state: String)] {
        let rows = try await StoreDatabase(pool: pool).query("""
            SELECT c.channel_id, ch.provider, c.state FROM channel_circuits c JOIN channels ch ON ch.id = c.channel_id
            WHERE c.state <> 'closed'
            """)
        return try StoreError.mapped {
            try rows.map { (try $0.decode("channel_id"), try $0.decode("provider"), try $0.decode("state")) }
        }
    }

    /// A tenant's channels of one type with their `fallbackChannelIds`, for
    /// the API's check of a new list (existence, type, cycles).
    public func fallbackGraph(tenantId: String) async throws -> [String: (type: String, fallbacks: [String])] {
        try await database.withConnection { connection in
            var graph: [String: (type: String, fallbacks: [String])] = [:]
            for row in try connection.query("""
                SELECT id, type, provider_settings->'fallbackChannelIds' AS fallbacks FROM channels WHERE tenant_id = $1
                """, [tenantId]) {
                let list = try row.optional("fallbacks", as: String.self).flatMap { try? JSONParser.parse($0).arrayValue }
                graph[try row.decode("id")] = (try row.decode("type"), (list ?? []).compactMap(\.stringValue))
            }
            return graph
        }
    }
}

extension DeliveryQueue {
    /// Puts rows back untried until their chain may be tried (see `Store.postpone`).
    public func postpone(_ outcomes: [Store.QueueOutcome]) async throws -> Set<String> {
        let workerId = workerId
        return try await run("postponing rows") { try Store.postpone($0, workerId: workerId, outcomes: outcomes) }
    }

    /// Writes circuit state changes (see `Store.recordCircuits`).
    public func recordCircuits(_ records: [Store.CircuitRecord]) async throws {
        try await run("recording circuits") { try Store.recordCircuits($0, records) }
    }
}
