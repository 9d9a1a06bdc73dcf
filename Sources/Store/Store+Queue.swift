import Basics
import Foundation
import Postgres

/// The worker's side of the queue (`notification_queue`, migration 0006).
/// Every statement is one short autocommit transaction that touches only the
/// rows it names, found through `notification_queue_ready` or primary keys;
/// the queue table holds only unfinished work, so it stays small however
/// many finished notifications the log keeps.
///
/// Ownership: a claim leases queue rows to the worker (`locked_by`, its id;
/// `locked_until`) and counts the attempt. Every later write is guarded by
/// `locked_by = me`, so a worker whose lease expired and was rescued cannot
/// overwrite the row its successor now owns (and an outcome of an attempt
/// the rescue already recorded is refused by that record: see `finish`).
/// The notification's own row is written once, when the attempt ends.
extension Store {
    /// A row claimed for sending, with what the worker needs to send it. A
    /// class: it is handed from the claim to the lease book to a send task,
    /// and one retain is cheaper than a copy of a dozen strings each time.
    public final class ClaimedNotification: Sendable {
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
        /// Recipients on the tenant's suppression list (`Store+Suppressions`),
        /// read by the claim itself; empty for nearly every row.
        public let suppressed: [SuppressedRecipient]
        /// Failover: the place in the channel's chain (0: the channel, then
        /// its fallbacks) this attempt starts at, and whether the row is
        /// pinned to that step (its message may already be with that provider).
        public let channelStep: Int
        public let channelPinned: Bool

        init(id: String, tenantId: String, type: String, templateId: String?, templateName: String?, channelId: String?,
             channelProvider: String?, channelEnabled: Bool, channelVersion: String?, recipients: String, variables: String,
             rendered: String?, locale: String, attempt: Int, maxAttempts: Int, priority: Int, test: Bool,
             suppressed: [SuppressedRecipient] = [], channelStep: Int = 0, channelPinned: Bool = false) {
            self.id = id
            self.tenantId = tenantId
            self.type = type
            self.templateId = templateId
            self.templateName = templateName
            self.channelId = channelId
            self.channelProvider = channelProvider
            self.channelEnabled = channelEnabled
            self.channelVersion = channelVersion
            self.recipients = recipients
            self.variables = variables
            self.rendered = rendered
            self.locale = locale
            self.attempt = attempt
            self.maxAttempts = maxAttempts
            self.priority = priority
            self.test = test
            self.suppressed = suppressed
            self.channelStep = channelStep
            self.channelPinned = channelPinned
        }
    }

    /// How one attempt ended, to be written back in a batch.
    public struct QueueOutcome: Sendable, Hashable {
        /// `postponed`: not attempted (every channel of its chain had its
        /// circuit open); back in line with the attempt not counted.
        public enum Kind: String, Sendable { case sent, retry, failed, postponed }

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
        /// Set as the notification's `delivery_status` (0009), with `error` as
        /// its detail: `suppressed` when nothing was sent for that reason.
        public var deliveryStatus: String?
        /// The channel and provider the attempt went through (nil: none reached).
        public var channelId: String?
        public var provider: String?
        /// For `.retry` and `.postponed`: the chain step the next attempt
        /// starts at, and whether the row stays pinned to it.
        public var nextStep = 0
        public var pinned = false

        public init(id: String, attempt: Int, kind: Kind, providerMessageId: String? = nil, error: String? = nil,
                    retryDelay: Duration = .zero, startedAt: Date, durationMilliseconds: Int,
                    providerResponse: String? = nil, rendered: String? = nil, deliveryStatus: String? = nil) {
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
            self.deliveryStatus = deliveryStatus
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
    static func claim(_ connection: PostgresConnection, workerId: String, limit: Int,
                             lease: Duration) throws -> [ClaimedNotification] {
        let rows = try connection.query("""
            WITH c AS (
              SELECT q.id FROM unnest($4::smallint[]) AS p(priority)
              CROSS JOIN LATERAL (
                SELECT j.id FROM notification_queue j
                WHERE j.locked_by IS NULL AND j.priority = p.priority AND j.run_at <= now()
                ORDER BY j.run_at LIMIT $2 FOR UPDATE SKIP LOCKED) q
              LIMIT $2
            ), u AS (
              UPDATE notification_queue j SET locked_by = $1, claimed_at = herald_now(),
                locked_until = now() + $3::int8 * interval '1 millisecond', attempts = j.attempts + 1
              FROM c WHERE j.id = c.id
              RETURNING j.id, j.attempts, j.priority, j.run_at, j.channel_step, j.channel_pinned
            )
            SELECT n.id, n.tenant_id, n.type, n.template_id, n.template_name, ch.id AS channel_id,
                   ch.provider AS channel_provider, coalesce(ch.enabled, true) AS channel_enabled,
                   ch.xmin::text AS channel_version, n."to"::text AS recipients, n.variables::text AS variables,
                   n.rendered::text AS rendered, n.locale, u.attempts AS attempt, n.max_attempts, u.priority, n.test,
                   \(suppressedColumn), u.channel_step, u.channel_pinned
            FROM u JOIN notifications n ON n.id = u.id
            LEFT JOIN tenant_auth_settings a ON n.channel_id IS NULL AND a.tenant_id = n.tenant_id
            LEFT JOIN channels ch ON ch.tenant_id = n.tenant_id AND ch.id = coalesce(n.channel_id,
                CASE n.type WHEN 'email' THEN a.email_channel_id WHEN 'sms' THEN a.sms_channel_id END)
            ORDER BY u.priority, u.run_at, u.id
            """, [workerId, limit, lease.wholeMilliseconds, priorityLevels])
        return try ClaimColumn.decode(rows)
    }

    /// Writes a batch of outcomes and their attempt rows in one statement.
    /// Answers the ids that were applied; the others had lost their lease
    /// (rescued and taken by another worker) and are left alone.
    static func finish(_ connection: PostgresConnection, workerId: String,
                              outcomes: [QueueOutcome]) throws -> Set<String> {
        guard !outcomes.isEmpty else { return [] }
        let rows = try connection.query(finishStatement, FinishParameters(outcomes).binds(workerId: workerId))
        return Set(try rows.map { try $0.decode("notification_id", as: String.self) })
    }

    /// `finish` as one statement: the queue rows the worker still owns end
    /// (deleted, or back in line for a retry), then their notifications take
    /// the outcome and each attempt gets its row.
    ///
    /// Written so that no statistics can change the plan: the queue rows are
    /// ended by an id list the planner cannot see into (an `ARRAY(…)`
    /// sub-select), which it reads through the primary key. Joined the plain
    /// way, statistics taken while nothing was leased promised no row for
    /// `locked_by = $1`, and the planner scanned the whole queue per outcome
    /// or per batch.
    ///
    /// Ownership is `locked_by = $1`, checked by the DELETE and UPDATE on the
    /// row's newest version (a heartbeat committed meanwhile is followed, a
    /// rescue is seen), with no row lock or lookup before them: each would
    /// cost a page visit per row, a lock a WAL record too. The attempt number
    /// is not compared: a row this worker still holds can only carry a newer
    /// attempt if it was rescued and claimed again by this same worker, whose
    /// lease book ignores that second claim; the outcome written is then the
    /// attempt that really ran (and the rescue's row for it makes the insert
    /// below fail, leaving the row to the rescue again, as a refusal would).
    ///
    /// No `ON CONFLICT` (it costs a speculative insertion per row): the
    /// ownership guard makes attempt numbers unique, and were one ever taken,
    /// the worker's row-by-row fallback leaves that row to the rescue, whose
    /// insert does tolerate it.
    static let finishStatement = """
        WITH r AS (
          SELECT * FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::int8[],
                               $8::float8[], $9::int[], $10::text[], $11::text[], $12::int[], $13::bool[], $14::text[],
                               $15::text[], $16::text[])
            AS r(id, attempt, outcome, provider_message_id, error, retry_ms, started_at, duration_ms, response, rendered,
                 channel_step, pinned, channel_id, provider, delivery_status)
        ), ended AS (
          DELETE FROM notification_queue j
          WHERE j.id = ANY(ARRAY(SELECT id FROM r WHERE outcome <> 'retry')) AND j.locked_by = $1
          RETURNING j.id
        ), again AS (
          UPDATE notification_queue j SET locked_by = NULL, locked_until = NULL, claimed_at = NULL,
            run_at = now() + m.retry_ms * interval '1 millisecond', channel_step = coalesce(m.channel_step, 0),
            channel_pinned = coalesce(m.pinned, false)
          FROM r m
          WHERE j.id = ANY(ARRAY(SELECT id FROM r WHERE outcome = 'retry')) AND j.id = m.id AND j.locked_by = $1
          RETURNING j.id
        ), owned AS (
          SELECT id FROM ended UNION ALL SELECT id FROM again
        ), u AS (
          UPDATE notifications n SET
            status = CASE r.outcome WHEN 'sent' THEN 'sent' WHEN 'retry' THEN 'queued' ELSE 'failed' END,
            attempts = r.attempt,
            sent_at = CASE WHEN r.outcome = 'sent' THEN herald_now() ELSE n.sent_at END,
            provider_message_id = coalesce(r.provider_message_id, n.provider_message_id),
            last_error = CASE WHEN r.outcome = 'sent' THEN NULL ELSE r.error END,
            rendered = coalesce(n.rendered, r.rendered::jsonb),
            \(deliveryStatusAssignments),
            updated_at = herald_now()
          FROM r JOIN owned o ON o.id = r.id
          WHERE n.id = r.id
          RETURNING n.id, n.tenant_id, r.attempt, r.outcome, r.started_at, r.duration_ms, r.response, r.error,
                    r.channel_id, r.provider
        )
        INSERT INTO notification_attempts (tenant_id, notification_id, attempt, started_at, duration_ms, outcome,
                                           provider_response, error, channel_id, provider)
        SELECT u.tenant_id, u.id, u.attempt, to_timestamp(u.started_at), u.duration_ms, u.outcome, u.response, u.error,
               u.channel_id, u.provider
        FROM u
        RETURNING notification_id
        """

    /// Extends the leases of rows this worker is still working on; answers
    /// the ids it still holds (a missing one was rescued by someone else).
    static func extendLeases(_ connection: PostgresConnection, workerId: String, ids: [String],
                                    lease: Duration) throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let rows = try connection.query("""
            UPDATE notification_queue SET locked_until = now() + $3::int8 * interval '1 millisecond'
            WHERE id = ANY($2::text[]) AND locked_by = $1
            RETURNING id
            """, [workerId, ids, lease.wholeMilliseconds])
        return Set(try rows.map { try $0.decode("id", as: String.self) })
    }

    /// Puts rows whose lease expired (their worker died or hung) back in the
    /// queue, or fails those that used their last attempt, recording the lost
    /// attempt; wakes the workers when any went back.
    ///
    /// A worker never takes over rows it still holds (`keeping`, locked by
    /// `workerId`): their sends may be running, and its own heartbeat renews
    /// them once it runs again. Its rows it does not hold (a claim whose
    /// answer was lost) are rescued like any other.
    static func rescueExpired(_ connection: PostgresConnection, limit: Int, workerId: String = "",
                              keeping held: [String] = []) throws -> [RescuedNotification] {
        try connection.transaction {
            let rows = try connection.query("""
                WITH x AS (
                  SELECT j.id, j.attempts, j.locked_by, j.claimed_at, j.attempts >= n.max_attempts AS last
                  FROM notification_queue j JOIN notifications n ON n.id = j.id
                  WHERE j.locked_by IS NOT NULL AND j.locked_until < now()
                    AND NOT (j.locked_by = $3 AND j.id = ANY($4::text[]))
                  ORDER BY j.locked_until LIMIT $1 FOR UPDATE OF j SKIP LOCKED
                ), ended AS (
                  DELETE FROM notification_queue j USING x WHERE j.id = x.id AND x.last
                ), again AS (
                  UPDATE notification_queue j SET locked_by = NULL, locked_until = NULL, claimed_at = NULL, run_at = now()
                  FROM x WHERE j.id = x.id AND NOT x.last
                ), u AS (
                  UPDATE notifications n SET status = CASE WHEN x.last THEN 'failed' ELSE n.status END,
                    attempts = x.attempts, last_error = $2, updated_at = herald_now()
                  FROM x WHERE n.id = x.id
                  RETURNING n.id, n.tenant_id, x.attempts, x.last, x.locked_by, x.claimed_at
                ), recorded AS (
                  INSERT INTO notification_attempts (tenant_id, notification_id, attempt, started_at, duration_ms, outcome, error)
                  SELECT u.tenant_id, u.id, u.attempts, coalesce(u.claimed_at, now()),
                         least(extract(epoch FROM now() - coalesce(u.claimed_at, now())) * 1000, 2147483647)::int,
                         CASE WHEN u.last THEN 'failed' ELSE 'retry' END, $2
                  FROM u
                  ON CONFLICT (notification_id, attempt) DO NOTHING
                )
                SELECT id, attempts, last, locked_by FROM u
                """, [limit, Self.leaseExpiredMessage, workerId, held])
            let rescued = try rows.map { row in
                RescuedNotification(id: try row.decode("id"), attempts: try row.decode("attempts"),
                                    failed: try row.decode("last"), previousOwner: try row.optional("locked_by"))
            }
            if rescued.contains(where: { !$0.failed }) {
                _ = try connection.query("SELECT pg_notify($1, 'rescue')", [queueChannel])
            }
            return rescued
        }
    }

    static let leaseExpiredMessage = "lease expired: the worker sending it stopped (killed or unresponsive)"

    /// Gives back rows claimed but never started (shutdown): queued again,
    /// with the attempt they had not used returned; wakes the other workers.
    static func release(_ connection: PostgresConnection, workerId: String, ids: [String]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try connection.transaction {
            let count = try connection.query("""
                UPDATE notification_queue SET attempts = greatest(attempts - 1, 0), locked_by = NULL,
                  locked_until = NULL, claimed_at = NULL
                WHERE id = ANY($2::text[]) AND locked_by = $1
                """, [workerId, ids]).affectedRows
            if count > 0 { _ = try connection.query("SELECT pg_notify($1, 'release')", [queueChannel]) }
            return count
        }
    }

    /// Deletes up to `limit` finished rows (sent, failed, cancelled) created
    /// more than `days` days ago, with their attempts (cascade). Reads each
    /// tenant's range of `notifications_stats (tenant_id, created_at)`, so a
    /// batch costs the same however large the table is.
    static func deleteFinished(_ connection: PostgresConnection, olderThanDays days: Int, limit: Int) throws -> Int {
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

