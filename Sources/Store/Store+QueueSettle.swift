import Foundation
import Postgres

/// Outcomes `finish` refused, looked at again before anything is said of
/// them. Two cases are not what they seem:
/// - the outcome was written by an earlier try whose answer never came back
///   (the connection broke after COMMIT went out): its queue row is gone, so
///   the retry is refused, yet it committed. Its attempt row tells;
/// - the lease passed to another worker (this one was cut off longer than
///   the lease) after the message went out. The rescue recorded the attempt
///   as a lost `retry`; the send is recorded now as what it was, `sent`, so
///   a second delivery shows in SQL (two `sent` attempts) instead of hiding
///   behind the rescue's record.
extension Store {
    public struct SettledOutcomes: Sendable, Equatable {
        /// Written by an earlier try: applied after all.
        public var alreadyWritten: Set<String> = []
        /// Sends recorded after the lease had passed on.
        public var late: Set<String> = []
        /// Of those, the ones another attempt had sent too (delivered twice).
        public var duplicates: Set<String> = []

        public init() {}
    }

    static let lateOutcomeMessage =
        "late outcome: sent, recorded after the lease had passed to another worker (it may have gone out twice)"

    static func settle(_ connection: PostgresConnection, workerId: String, refused: [QueueOutcome]) throws -> SettledOutcomes {
        var settled = SettledOutcomes()
        // An attempt row of this attempt with this outcome and duration, not
        // the rescue's, is this worker's own earlier write.
        let written = try connection.query("""
            SELECT a.notification_id FROM notification_attempts a
            JOIN unnest($1::text[], $2::int[], $3::text[], $4::int[]) AS r(id, attempt, outcome, duration_ms)
              ON a.notification_id = r.id AND a.attempt = r.attempt
            WHERE a.outcome = r.outcome AND a.duration_ms = r.duration_ms AND a.error IS DISTINCT FROM $5
            """, [refused.map(\.id), refused.map(\.attempt), refused.map(\.kind.rawValue), refused.map(\.durationMilliseconds),
                  leaseExpiredMessage])
        settled.alreadyWritten = Set(try written.map { try $0.decode("notification_id", as: String.self) })
        let sent = refused.filter { $0.kind == .sent && !settled.alreadyWritten.contains($0.id) }
        guard !sent.isEmpty else { return settled }
        let rows = try connection.query(lateSentStatement, [
            sent.map(\.id), sent.map(\.attempt), sent.map(\.providerMessageId), sent.map(\.startedAt.timeIntervalSince1970),
            sent.map(\.durationMilliseconds), sent.map { $0.providerResponse.map(trimmed) }, sent.map(\.rendered),
            lateOutcomeMessage, workerId, sent.map(\.channelId), sent.map(\.provider),
        ])
        for row in rows {
            let id: String = try row.decode("id")
            settled.late.insert(id)
            if try row.decode("duplicate", as: Bool.self) { settled.duplicates.insert(id) }
        }
        return settled
    }

    /// A late `sent`: a queue row still waiting (rescued, not taken again,
    /// or taken again by this worker, whose lease book ignored the second
    /// claim of a row it was still sending) ends, since the message went out; a notification the rescue failed
    /// (no attempts left) becomes sent; one another attempt already sent
    /// keeps its status and says it went out twice. The attempt row the
    /// rescue wrote becomes this attempt's real outcome.
    static let lateSentStatement = """
        WITH r AS (
          SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::float8[], $5::int[], $6::text[], $7::text[],
                               $10::text[], $11::text[])
            AS r(id, attempt, provider_message_id, started_at, duration_ms, response, rendered, channel_id, provider)
        ), waiting AS (
          DELETE FROM notification_queue j WHERE j.id = ANY($1::text[]) AND (j.locked_by IS NULL OR j.locked_by = $9)
          RETURNING j.id
        ), before AS (
          SELECT id, status FROM notifications WHERE id = ANY($1::text[])
        ), n AS (
          UPDATE notifications n SET
            status = CASE WHEN w.id IS NOT NULL OR n.status = 'failed' THEN 'sent' ELSE n.status END,
            sent_at = coalesce(n.sent_at, herald_now()),
            provider_message_id = coalesce(n.provider_message_id, r.provider_message_id),
            last_error = CASE WHEN w.id IS NULL AND n.status = 'sent' THEN $8 ELSE n.last_error END,
            rendered = coalesce(n.rendered, r.rendered::jsonb),
            updated_at = herald_now()
          FROM r JOIN before b ON b.id = r.id LEFT JOIN waiting w ON w.id = r.id
          WHERE n.id = r.id
          RETURNING n.id, n.tenant_id, (w.id IS NULL AND b.status = 'sent') AS duplicate
        ), a AS (
          INSERT INTO notification_attempts (tenant_id, notification_id, attempt, started_at, duration_ms, outcome,
                                             provider_response, error, channel_id, provider)
          SELECT n.tenant_id, r.id, r.attempt, to_timestamp(r.started_at), r.duration_ms, 'sent', r.response, $8,
                 r.channel_id, r.provider
          FROM r JOIN n ON n.id = r.id
          ON CONFLICT (notification_id, attempt) DO UPDATE SET outcome = 'sent', started_at = EXCLUDED.started_at,
            duration_ms = EXCLUDED.duration_ms, provider_response = EXCLUDED.provider_response, error = EXCLUDED.error,
            channel_id = EXCLUDED.channel_id, provider = EXCLUDED.provider
        )
        SELECT id, duplicate FROM n
        """
}
