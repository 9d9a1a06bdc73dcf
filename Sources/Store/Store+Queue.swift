import Crypto
import Foundation
import Postgres

/// The worker's side of the queue. Every statement is one short autocommit
/// transaction that touches only the rows it names, found through the partial
/// indexes (`notifications_ready`, `notifications_leased`) or the primary key,
/// so the queue's hot part stays cheap however many finished rows pile up.
///
/// Ownership: a claim marks rows `sending` with `locked_by` (the worker's id)
/// and a lease (`locked_until`). Every later write is guarded by
/// `locked_by = me AND status = 'sending' AND attempts = the attempt claimed`,
/// so a worker whose lease expired and was rescued cannot overwrite the row
/// its successor now owns.
///
/// Statements that name their rows by id write the guard as
/// `(status = 'sending') IS TRUE`: the same test, but one the planner cannot
/// match to `notifications_leased`, which it would otherwise pick whenever its
/// statistics show few leased rows, and then read every worker's leased rows
/// (dead entries included) for each batch instead of the primary key's few.
extension Store {
    /// A row claimed for sending, with what the worker needs to send it.
    public struct ClaimedNotification: Sendable, Hashable {
        public let id: String
        public let tenantId: String
        public let type: String
        public let templateId: String?
        public let templateName: String?
        /// The channel to send through: the row's own, else the tenant's
        /// AuthSettings channel for email or SMS; nil when neither exists.
        public let channelId: String?
        public let channelProvider: String?
        public let channelEnabled: Bool
        /// Changes whenever the channel row changes (its `xmin`), so cached
        /// settings are reused only while they are current.
        public let channelVersion: String?
        /// JSON text of `to`, `variables` and `rendered` (nil: render it).
        public let recipients: String
        public let variables: String
        public let rendered: String?
        public let locale: String
        /// This attempt's number (1 for the first).
        public let attempt: Int
        public let maxAttempts: Int
        public let priority: Int
        public let test: Bool
    }

    /// How one attempt ended, to be written back in a batch.
    public struct QueueOutcome: Sendable, Hashable {
        public enum Kind: String, Sendable { case sent, retry, failed }

        public var id: String
        public var attempt: Int
        public var kind: Kind
        public var providerMessageId: String?
        /// Stored as `last_error` and on the attempt row (safe to show: no secrets, bodies or codes).
        public var error: String?
        /// For `.retry`: how long until the row is ready again.
        public var retryDelay: Duration
        public var startedAt: Date
        public var durationMilliseconds: Int
        public var providerResponse: String?
        /// JSON text of what the worker rendered, kept on the row when it had none.
        public var rendered: String?

        public init(id: String, attempt: Int, kind: Kind, providerMessageId: String? = nil, error: String? = nil,
                    retryDelay: Duration = .zero, startedAt: Date, durationMilliseconds: Int,
                    providerResponse: String? = nil, rendered: String? = nil) {
            self.id = id
            self.attempt = attempt
            self.kind = kind
            self.providerMessageId = providerMessageId
            self.error = error
            self.retryDelay = retryDelay
            self.startedAt = startedAt
            self.durationMilliseconds = durationMilliseconds
            self.providerResponse = providerResponse
            self.rendered = rendered
        }
    }

    /// A row whose lease had expired, put back in the queue (or failed when
    /// it had no attempts left).
    public struct RescuedNotification: Sendable, Hashable {
        public let id: String
        public let attempts: Int
        public let failed: Bool
        /// The worker that held the lease.
        public let previousOwner: String?
    }

    /// The priority levels the claim reads, most urgent first; a CHECK
    /// constraint (0002) keeps rows inside them.
    static let priorityLevels = [0, 1, 2]

    /// Claims up to `limit` ready rows, most urgent first and oldest first
    /// within a priority, skipping rows other workers hold. One range scan
    /// per priority level, so rows scheduled for later never slow a claim.
    public static func claim(_ connection: PostgresConnection, workerId: String, limit: Int,
                             lease: Duration) throws -> [ClaimedNotification] {
        let rows = try connection.query("""
            WITH c AS (
              SELECT q.id FROM unnest($4::smallint[]) AS p(priority)
              CROSS JOIN LATERAL (
                SELECT n.id FROM notifications n
                WHERE n.status = 'queued' AND n.priority = p.priority AND n.run_at <= now()
                ORDER BY n.run_at LIMIT $2 FOR UPDATE SKIP LOCKED) q
              LIMIT $2
            ), u AS (
              UPDATE notifications n SET status = 'sending', locked_by = $1,
                locked_until = now() + $3::int8 * interval '1 millisecond',
                attempts = n.attempts + 1, updated_at = herald_now()
              FROM c WHERE n.id = c.id
              RETURNING n.id, n.tenant_id, n.type, n.template_id, n.template_name, n.channel_id, n."to"::text AS recipients,
                        n.variables::text AS variables, n.rendered::text AS rendered, n.locale, n.attempts,
                        n.max_attempts, n.priority, n.test, n.run_at
            )
            SELECT u.id, u.tenant_id, u.type, u.template_id, u.template_name, ch.id, ch.provider, coalesce(ch.enabled, true),
                   ch.xmin::text, u.recipients, u.variables, u.rendered, u.locale, u.attempts, u.max_attempts, u.priority, u.test
            FROM u
            LEFT JOIN tenant_auth_settings a ON u.channel_id IS NULL AND a.tenant_id = u.tenant_id
            LEFT JOIN channels ch ON ch.tenant_id = u.tenant_id AND ch.id = coalesce(u.channel_id,
                CASE u.type WHEN 'email' THEN a.email_channel_id WHEN 'sms' THEN a.sms_channel_id END)
            ORDER BY u.priority, u.run_at, u.id
            """, [workerId, limit, lease.milliseconds, priorityLevels])
        return try rows.map { row in
            ClaimedNotification(
                id: try row.decode(0), tenantId: try row.decode(1), type: try row.decode(2),
                templateId: try row.optional(3), templateName: try row.optional(4), channelId: try row.optional(5),
                channelProvider: try row.optional(6), channelEnabled: try row.decode(7), channelVersion: try row.optional(8),
                recipients: try row.decode(9), variables: try row.decode(10), rendered: try row.optional(11),
                locale: try row.decode(12), attempt: try row.decode(13), maxAttempts: try row.decode(14),
                priority: try row.decode(15), test: try row.decode(16))
        }
    }

    /// Writes a batch of outcomes and their attempt rows in one statement.
    /// Answers the ids that were applied; the others had lost their lease
    /// (rescued and taken by another worker) and are left alone.
    public static func finish(_ connection: PostgresConnection, workerId: String,
                              outcomes: [QueueOutcome]) throws -> Set<String> {
        guard !outcomes.isEmpty else { return [] }
        let rows = try connection.query(finishStatement, [
            workerId, outcomes.map(\.id), outcomes.map(\.attempt), outcomes.map(\.kind.rawValue),
            outcomes.map(\.providerMessageId), outcomes.map { $0.error.map(trimmed) },
            outcomes.map(\.retryDelay.milliseconds), outcomes.map(\.startedAt.timeIntervalSince1970),
            outcomes.map(\.durationMilliseconds), outcomes.map { $0.providerResponse.map(trimmed) },
            outcomes.map(\.rendered), outcomes.map { _ in Identifier.make() },
        ])
        return Set(try rows.map { try $0.decode(0, as: String.self) })
    }

    /// `finish` as one statement: the rows' new state and their attempt rows.
    static let finishStatement = """
        WITH r AS (
          SELECT * FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::int8[],
                               $8::float8[], $9::int[], $10::text[], $11::text[], $12::text[])
            AS r(id, attempt, outcome, provider_message_id, error, retry_ms, started_at, duration_ms, response,
                 rendered, attempt_id)
        ), u AS (
          UPDATE notifications n SET
            status = CASE r.outcome WHEN 'sent' THEN 'sent' WHEN 'retry' THEN 'queued' ELSE 'failed' END,
            sent_at = CASE WHEN r.outcome = 'sent' THEN herald_now() ELSE n.sent_at END,
            provider_message_id = coalesce(r.provider_message_id, n.provider_message_id),
            last_error = CASE WHEN r.outcome = 'sent' THEN NULL ELSE r.error END,
            run_at = CASE WHEN r.outcome = 'retry' THEN now() + r.retry_ms * interval '1 millisecond' ELSE n.run_at END,
            rendered = coalesce(n.rendered, r.rendered::jsonb),
            locked_by = NULL, locked_until = NULL, updated_at = herald_now()
          FROM r
          WHERE n.id = r.id AND n.locked_by = $1 AND (n.status = 'sending') IS TRUE AND n.attempts = r.attempt
          RETURNING n.id, n.tenant_id, r.attempt, r.outcome, r.started_at, r.duration_ms, r.response, r.error, r.attempt_id
        )
        INSERT INTO notification_attempts (id, tenant_id, notification_id, attempt, started_at, duration_ms, outcome,
                                           provider_response, error)
        SELECT u.attempt_id, u.tenant_id, u.id, u.attempt, to_timestamp(u.started_at), u.duration_ms, u.outcome,
               u.response, u.error
        FROM u
        RETURNING notification_id
        """

    /// Extends the leases of rows this worker is still working on; answers
    /// the ids it still holds (a missing one was rescued by someone else).
    public static func extendLeases(_ connection: PostgresConnection, workerId: String, ids: [String],
                                    lease: Duration) throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let rows = try connection.query("""
            UPDATE notifications SET locked_until = now() + $3::int8 * interval '1 millisecond'
            WHERE id = ANY($2::text[]) AND locked_by = $1 AND (status = 'sending') IS TRUE
            RETURNING id
            """, [workerId, ids, lease.milliseconds])
        return Set(try rows.map { try $0.decode(0, as: String.self) })
    }

    /// Puts rows whose lease expired (their worker died or hung) back in the
    /// queue, or fails those that used their last attempt, recording the lost
    /// attempt; wakes the workers when any went back.
    public static func rescueExpired(_ connection: PostgresConnection, limit: Int) throws -> [RescuedNotification] {
        try connection.transaction {
            let rows = try connection.query("""
                WITH x AS (
                  SELECT id, locked_by, updated_at FROM notifications
                  WHERE status = 'sending' AND locked_until < now()
                  ORDER BY locked_until LIMIT $1 FOR UPDATE SKIP LOCKED
                )
                UPDATE notifications n SET
                  status = CASE WHEN n.attempts >= n.max_attempts THEN 'failed' ELSE 'queued' END,
                  run_at = now(), last_error = $2, locked_by = NULL, locked_until = NULL, updated_at = herald_now()
                FROM x WHERE n.id = x.id
                RETURNING n.id, n.tenant_id, n.attempts, n.status = 'failed', x.locked_by,
                          extract(epoch FROM x.updated_at)::float8, extract(epoch FROM now() - x.updated_at)::float8
                """, [limit, Self.leaseExpiredMessage])
            guard !rows.isEmpty else { return [] }
            var rescued: [RescuedNotification] = []
            var attempt: (ids: [String], tenants: [String], numbers: [Int], outcomes: [String], started: [Double],
                          durations: [Int], attemptIds: [String]) = ([], [], [], [], [], [], [])
            for row in rows {
                let entry = RescuedNotification(id: try row.decode(0), attempts: try row.decode(2), failed: try row.decode(3),
                                                previousOwner: try row.optional(4))
                rescued.append(entry)
                attempt.ids.append(entry.id)
                attempt.tenants.append(try row.decode(1))
                attempt.numbers.append(entry.attempts)
                attempt.outcomes.append(entry.failed ? QueueOutcome.Kind.failed.rawValue : QueueOutcome.Kind.retry.rawValue)
                attempt.started.append(try row.decode(5))
                attempt.durations.append(Int(min(try row.decode(6, as: Double.self) * 1000, Double(Int32.max))))
                attempt.attemptIds.append(Identifier.make())
            }
            // The claim stamped updated_at, so the lost attempt started then.
            _ = try connection.query("""
                INSERT INTO notification_attempts (id, tenant_id, notification_id, attempt, started_at, duration_ms, outcome, error)
                SELECT a.id, a.tenant_id, a.notification_id, a.attempt, to_timestamp(a.started), a.duration, a.outcome, $8
                FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::float8[], $6::int[], $7::text[])
                  AS a(id, tenant_id, notification_id, attempt, started, duration, outcome)
                """, [attempt.attemptIds, attempt.tenants, attempt.ids, attempt.numbers, attempt.started, attempt.durations,
                      attempt.outcomes, Self.leaseExpiredMessage])
            if rescued.contains(where: { !$0.failed }) {
                _ = try connection.query("SELECT pg_notify($1, 'rescue')", [queueChannel])
            }
            return rescued
        }
    }

    static let leaseExpiredMessage = "lease expired: the worker sending it stopped (killed or unresponsive)"

    /// Gives back rows claimed but never started (shutdown): queued again,
    /// with the attempt they had not used returned; wakes the other workers.
    public static func release(_ connection: PostgresConnection, workerId: String, ids: [String]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try connection.transaction {
            let count = try connection.query("""
                UPDATE notifications SET status = 'queued', attempts = greatest(attempts - 1, 0), locked_by = NULL,
                  locked_until = NULL, updated_at = herald_now()
                WHERE id = ANY($2::text[]) AND locked_by = $1 AND (status = 'sending') IS TRUE
                """, [workerId, ids]).affectedRows
            if count > 0 { _ = try connection.query("SELECT pg_notify($1, 'release')", [queueChannel]) }
            return count
        }
    }

    /// Deletes up to `limit` finished rows (sent, failed, cancelled) created
    /// more than `days` days ago, with their attempts (cascade). Reads each
    /// tenant's range of `notifications_stats (tenant_id, created_at)`, so a
    /// batch costs the same however large the table is.
    public static func deleteFinished(_ connection: PostgresConnection, olderThanDays days: Int, limit: Int) throws -> Int {
        try connection.query("""
            DELETE FROM notifications WHERE id IN (
              SELECT x.id FROM tenants t CROSS JOIN LATERAL (
                SELECT n.id FROM notifications n
                WHERE n.tenant_id = t.id AND n.created_at < now() - $1::int * interval '1 day'
                  AND n.status IN ('sent', 'failed', 'cancelled')
                LIMIT $2) x
              LIMIT $2)
            """, [days, limit]).affectedRows
    }

    /// Attempt errors and provider responses are kept short: enough to
    /// diagnose, never a whole provider page.
    static func trimmed(_ text: String) -> String {
        text.count <= 500 ? text : String(text.prefix(497)) + "..."
    }
}

extension Duration {
    /// Whole milliseconds, rounded down (for SQL intervals).
    var milliseconds: Int {
        Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000)
    }
}
