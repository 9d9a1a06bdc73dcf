import Crypto
import JSON
import Postgres

/// Bulk sends accepted as one batch (issue 15, migration 0014). The unkeyed
/// messages of `POST /notifications/send/bulk` go into one
/// `notification_batches` row (one autocommit statement, checked against the
/// tenant's lookup version, with one `pg_notify`); the worker fans batches out
/// into notifications and queue rows from a task of its own, never on the
/// claim path. A read of a message id not yet fanned out fans its batch out
/// first (`fanOutBatch`), so an id handed out never answers 404.
extension Store {
    /// One message of a batch: what its notification row holds of its own.
    public struct BatchMessage: Sendable {
        public var id: String
        public var to: JSONValue
        public var locale: String
        public var variables: JSONValue
        public var rendered: JSONValue?
        public var scheduledAt: String?

        public init(id: String, to: JSONValue, locale: String, variables: JSONValue, rendered: JSONValue?, scheduledAt: String?) {
            self.id = id
            self.to = to
            self.locale = locale
            self.variables = variables
            self.rendered = rendered
            self.scheduledAt = scheduledAt
        }
    }

    /// A bulk send's unkeyed messages: `shared` holds what they have in
    /// common (tenant, template, channel, type, priority, test, attempts;
    /// its own recipient fields are ignored); ids come from
    /// `Identifier.batchMember(id, index:)`.
    public struct NewBatch: Sendable {
        public var id: String
        public var shared: NewNotification
        public var messages: [BatchMessage]
        public var lookupVersion: Int64?

        public init(id: String, shared: NewNotification, messages: [BatchMessage], lookupVersion: Int64?) {
            self.id = id
            self.shared = shared
            self.messages = messages
            self.lookupVersion = lookupVersion
        }
    }

    public enum BatchOutcome: Sendable, Equatable {
        /// Written: every message will be fanned out under its own id.
        case accepted
        /// The tenant's lookups changed since the batch was built (or the
        /// tenant is gone): nothing was written; look up again and rebuild.
        case staleLookups
    }

    /// What one fan-out wrote.
    public struct FanOut: Sendable, Equatable {
        public var batches: Int
        public var notifications: Int

        public init(batches: Int = 0, notifications: Int = 0) {
            self.batches = batches
            self.notifications = notifications
        }
    }

    /// Batches fanned out per statement by the worker: up to that many
    /// thousand rows in one statement, well inside a statement's deadline.
    public static let fanOutLimit = 4

    static let acceptBatchSQL = """
        WITH t AS (
          SELECT t.id FROM tenants t WHERE t.id = $2 AND ($11::bigint IS NULL OR t.lookup_version = $11)
        ), b AS (
          INSERT INTO notification_batches (id, tenant_id, template_id, template_name, channel_id, type, priority, test,
                                            max_attempts, messages)
          SELECT $1, t.id, $3, $4, $5, $6, $7, $8,
                 coalesce($9::int, (\(channelMaxAttempts(channel: "$5", tenant: "t.id"))), \(ChannelCatalog.defaultMaxAttempts)),
                 $10::json
          FROM t
          RETURNING id
        )
        SELECT count(*)::int AS written, CASE WHEN count(*) > 0 THEN pg_notify($12, '\(QueueWakeups.batchPayload)')::text END AS woke FROM b
        """

    /// Writes the batch as one row, if the tenant's lookup version is still
    /// `lookupVersion`, and wakes the workers to fan it out.
    public func acceptBatch(_ batch: NewBatch) async throws -> BatchOutcome {
        let new = batch.shared
        let rows = try await database.query(Self.acceptBatchSQL, [
            batch.id, new.tenantId, new.templateId, new.templateName, new.channelId, new.type.rawValue, new.priority.rawValue,
            new.test, new.maxAttempts, Self.messagesJSON(batch.messages), batch.lookupVersion, Self.queueChannel,
        ])
        return try StoreError.mapped { try rows[0].decode("written", as: Int.self) } > 0 ? .accepted : .staleLookups
    }

    /// The messages as the JSON array the fan-out reads, written straight
    /// into one buffer: building an object per message first cost a bulk
    /// send as much again (measured: a fifth of the API's time per request).
    static func messagesJSON(_ messages: [BatchMessage]) -> String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(messages.count * 200)
        func key(_ name: StaticString) {
            buffer.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        }
        buffer.append(UInt8(ascii: "["))
        for (index, message) in messages.enumerated() {
            key(index == 0 ? #"{"id":"# : #",{"id":"#)
            JSONValue.string(message.id).encode(into: &buffer)
            key(#","to":"#)
            message.to.encode(into: &buffer)
            key(#","locale":"#)
            JSONValue.string(message.locale).encode(into: &buffer)
            key(#","variables":"#)
            message.variables.encode(into: &buffer)
            key(#","rendered":"#)
            (message.rendered ?? .null).encode(into: &buffer)
            key(#","scheduledAt":"#)
            (message.scheduledAt.map(JSONValue.string) ?? .null).encode(into: &buffer)
            buffer.append(UInt8(ascii: "}"))
        }
        buffer.append(UInt8(ascii: "]"))
        return String(decoding: buffer, as: UTF8.self)
    }

    /// The fan-out statement; `pick` selects the batch rows to delete (and
    /// lock). Everything happens in one statement: the batches are deleted
    /// and their notifications and queue rows inserted together, or nothing.
    /// Templates and channels are joined, not trusted: one deleted since the
    /// batch was accepted is written as NULL (what ON DELETE SET NULL would
    /// have done), so no batch can fail forever. Ids already present (a
    /// fan-out of the same batch cannot repeat, but a collision must not
    /// block the batch) are skipped.
    static func fanOutSQL(pick: String) -> String {
        """
        WITH b AS (
          DELETE FROM notification_batches b WHERE b.id IN (\(pick))
          RETURNING b.*
        ), m AS (
          -- One pass over each array, straight into typed columns (a JSON null is NULL).
          SELECT b.id AS batch_id, b.tenant_id, b.template_id, b.template_name, b.channel_id, b.type, b.priority, b.test,
                 b.max_attempts, b.created_at, e.*
          FROM b CROSS JOIN LATERAL ROWS FROM (
            json_to_recordset(b.messages) AS (id text, "to" jsonb, locale text, variables jsonb, rendered jsonb, "scheduledAt" text)
          ) WITH ORDINALITY AS e(id, recipients, locale, variables, rendered, scheduled_at, ordinal)
        ), n AS (
          INSERT INTO notifications (id, tenant_id, template_id, template_name, channel_id, type, "to", locale, variables,
                                     rendered, priority, test, max_attempts, scheduled_at, created_at, updated_at)
          SELECT m.id, m.tenant_id, t.id, m.template_name, c.id, m.type, m.recipients, m.locale,
                 m.variables, m.rendered, m.priority, m.test, m.max_attempts,
                 m.scheduled_at::timestamptz, m.created_at, m.created_at
          FROM m
          LEFT JOIN notification_templates t ON t.id = m.template_id
          LEFT JOIN channels c ON c.id = m.channel_id
          ORDER BY m.created_at, m.batch_id, m.ordinal
          ON CONFLICT (id) DO NOTHING
          RETURNING id, priority, scheduled_at
        ), q AS (
          INSERT INTO notification_queue (id, priority, run_at)
          SELECT id, priority, greatest(now(), coalesce(scheduled_at, now())) FROM n
          ON CONFLICT (id) DO NOTHING
          RETURNING priority
        )
        SELECT (SELECT count(*) FROM b)::int AS batches, count(*)::int AS notifications,
               CASE WHEN count(*) > 0 THEN pg_notify($2, min(priority)::text)::text END AS woke
        FROM q
        """
    }

    /// The oldest `$1` batches nobody else is fanning out.
    static let fanOutSomeSQL = fanOutSQL(pick: """
        SELECT id FROM notification_batches ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED
        """)
    /// One batch by id, waiting for a fan-out of it in progress (which then
    /// leaves nothing to do).
    static let fanOutOneSQL = fanOutSQL(pick: "SELECT $1::text")

    /// Fans out up to `limit` batches (the worker's call; several workers
    /// take different batches).
    static func fanOutBatches(_ connection: PostgresConnection, limit: Int) throws -> FanOut {
        try fanOut(try connection.query(fanOutSomeSQL, [limit, queueChannel]))
    }

    private static func fanOut(_ rows: PostgresRows) throws -> FanOut {
        try StoreError.mapped {
            FanOut(batches: try rows[0].decode("batches", as: Int.self), notifications: try rows[0].decode("notifications", as: Int.self))
        }
    }

    /// Fans out the batch `id` now (a read of one of its messages).
    public func fanOutBatch(id: String) async throws -> FanOut {
        try Self.fanOut(try await database.query(Self.fanOutOneSQL, [id, Self.queueChannel]))
    }

    /// Fans out up to `limit` pending batches (see `fanOutBatches`): the
    /// worker's statement, for benchmarks and tests.
    public func fanOutBatches(limit: Int = fanOutLimit) async throws -> FanOut {
        try await database.withConnection { try Self.fanOutBatches($0, limit: limit) }
    }

    /// Runs `read` for the notification `id`; when it finds nothing and `id`
    /// may be a message of a batch still pending, fans that batch out (or
    /// waits for the fan-out in progress) and reads again. So ids a bulk send
    /// answered are readable at once. Callers come after `notificationTenant`
    /// found the id or its batch, so a miss here is rare.
    func readingBatchMessage<T: Sendable>(_ id: String, _ read: () async throws -> T?) async throws -> T? {
        if let found = try await read() { return found }
        guard let batch = Identifier.batch(of: id) else { return nil }
        _ = try await fanOutBatch(id: batch)
        return try await read()
    }
}
