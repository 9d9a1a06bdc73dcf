import Basics
import Crypto
import Postgres

/// Sends written in groups (issue 15). `send` hands a send to the store's
/// committer (SendGroupState): alone at once when nothing is being written,
/// else together with every send that arrived meanwhile, in one statement
/// (one transaction when idempotency keys are involved) with one `pg_notify`.
/// Repeats of one idempotency key that arrive while it is being written are
/// answered from that write (SendGroupCommitter.answer) instead of each
/// writing a group of its own. `sendGroup` writes a caller's own group (bulk
/// sends) the same way.
extension Store {
    public enum SendOutcome: Sendable, Equatable {
        /// Queued now, or the earlier notification of the same key and body.
        case queued(notificationId: String)
        /// The key was used with another body.
        case keyConflict
        /// The tenant's channels, templates or context changed since the
        /// send's lookups were read (`lookupVersion`): nothing was written;
        /// look up again and resend.
        case staleLookups
    }

    /// One send: the notification, when it runs, its idempotency key and the
    /// digest of the request it came in (same key and body answer the same
    /// notification), and the tenant's lookup version its channel, template
    /// and context were read under (nil: not checked).
    public struct PendingSend: Sendable {
        public var notification: NewNotification
        public var scheduledAt: String?
        public var idempotencyKey: String?
        public var requestDigest: String
        public var lookupVersion: Int64?

        public init(_ notification: NewNotification, scheduledAt: String? = nil, idempotencyKey: String? = nil,
                    requestDigest: String = "", lookupVersion: Int64? = nil) {
            self.notification = notification
            self.scheduledAt = scheduledAt
            self.idempotencyKey = idempotencyKey
            self.requestDigest = requestDigest
            self.lookupVersion = lookupVersion
        }
    }

    /// Queues a send; with an idempotency key (kept 24 hours) the same key and
    /// body answer the same notification, and another body is a conflict.
    /// Written together with the sends of other callers that arrive meanwhile.
    public func send(_ pending: PendingSend) async throws -> SendOutcome {
        try await sendGroups.send(pending)
    }

    /// Writes `sends` as one group (one transaction when any has a key), each
    /// answered on its own: one that fails (a constraint, a bad value) fails
    /// alone. Keys must be unique within the group.
    public func sendGroup(_ sends: [PendingSend]) async -> [Result<SendOutcome, any Error>] {
        await Self.commitGroup(database, sends)
    }

    /// The group's sends written together; if the database refuses one of
    /// them, the group is written again one send at a time, so that one fails
    /// alone. A lost connection fails them all (nothing was answered yet).
    static func commitGroup(_ database: StoreDatabase, _ sends: [PendingSend]) async -> [Result<SendOutcome, any Error>] {
        guard !sends.isEmpty else { return [] }
        do {
            return try await writeGroup(database, sends).map { .success($0) }
        } catch {
            guard sends.count > 1, !Self.isUnavailable(error) else { return sends.map { _ in .failure(error) } }
            var results: [Result<SendOutcome, any Error>] = []
            for send in sends {
                do { results.append(.success(try await writeGroup(database, [send])[0])) } catch { results.append(.failure(error)) }
            }
            return results
        }
    }

    /// The database could not be reached (or the caller gave up): the
    /// group's outcome says nothing about any one send.
    public static func isUnavailable(_ error: any Error) -> Bool {
        (error as? StoreError)?.isUnavailable ?? (error is CancellationError)
    }

    /// One autocommit statement without keys (pipelined with other callers'
    /// statements when the pool can); with keys one transaction that claims
    /// them first.
    private static func writeGroup(_ database: StoreDatabase, _ sends: [PendingSend]) async throws -> [SendOutcome] {
        let ids = sends.map { _ in Identifier.make() }
        if sends.allSatisfy({ $0.idempotencyKey == nil }) {
            let (sql, params) = insertStatement(sends, ids: ids)
            let rows = try await database.query(sql, params)
            let inserted = try StoreError.mapped { try insertedIds(rows) }
            return ids.map { inserted.contains($0) ? .queued(notificationId: $0) : .staleLookups }
        }
        return try await database.withTransaction { connection in
            try writeKeyedGroup(connection, sends, ids: ids)
        }
    }

    private static func insertedIds(_ rows: PostgresRows) throws -> Set<String> {
        Set(try rows[0].decode("ids", as: [String].self))
    }

    /// Claims each key (in key order, so two groups never wait on each other
    /// crosswise), writes the sends whose keys are new, and records their ids
    /// on the keys; a key a stale send claimed is given back.
    static func writeKeyedGroup(_ connection: PostgresConnection, _ sends: [PendingSend], ids: [String]) throws -> [SendOutcome] {
        var outcomes = [SendOutcome?](repeating: nil, count: sends.count)
        let keyed = sends.indices.filter { sends[$0].idempotencyKey != nil }.sorted {
            (sends[$0].notification.tenantId, sends[$0].idempotencyKey!) < (sends[$1].notification.tenantId, sends[$1].idempotencyKey!)
        }
        var claimed: [Int] = []
        for index in keyed {
            let send = sends[index]
            let key = send.idempotencyKey!
            let rows = try connection.query("""
                INSERT INTO idempotency_keys AS k (tenant_id, key, request_digest, expires_at)
                VALUES ($1, $2, $3, now() + interval '24 hours')
                ON CONFLICT (tenant_id, key) DO UPDATE
                  SET request_digest = excluded.request_digest, notification_id = NULL,
                      created_at = herald_now(), expires_at = excluded.expires_at
                  WHERE k.expires_at < now()
                RETURNING k.key
                """, [send.notification.tenantId, key, send.requestDigest])
            if !rows.isEmpty { claimed.append(index); continue }
            // Another request holds the key: its transaction has ended (the insert waited for it); compare.
            let row = try connection.query("""
                SELECT request_digest, notification_id FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 FOR UPDATE
                """, [send.notification.tenantId, key])[0]
            if try row.decode("request_digest", as: String.self) == send.requestDigest,
               let existing = try row.decode("notification_id", as: String?.self) {
                outcomes[index] = .queued(notificationId: existing)
            } else {
                outcomes[index] = .keyConflict
            }
        }
        let writing = sends.indices.filter { outcomes[$0] == nil }
        var inserted = Set<String>()
        if !writing.isEmpty {
            let (sql, params) = insertStatement(writing.map { sends[$0] }, ids: writing.map { ids[$0] })
            inserted = try insertedIds(try connection.query(sql, params))
        }
        for index in writing { outcomes[index] = inserted.contains(ids[index]) ? .queued(notificationId: ids[index]) : .staleLookups }
        if !claimed.isEmpty {
            let tenants = claimed.map { sends[$0].notification.tenantId }
            let keys = claimed.map { sends[$0].idempotencyKey! }
            let notificationIds: [String?] = claimed.map { inserted.contains(ids[$0]) ? ids[$0] : nil }
            _ = try connection.query("""
                WITH k AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS k(tenant_id, key, notification_id)),
                recorded AS (
                  UPDATE idempotency_keys i SET notification_id = k.notification_id FROM k
                  WHERE i.tenant_id = k.tenant_id AND i.key = k.key AND k.notification_id IS NOT NULL
                )
                DELETE FROM idempotency_keys i USING k
                WHERE i.tenant_id = k.tenant_id AND i.key = k.key AND k.notification_id IS NULL
                """, [tenants, keys, notificationIds])
        }
        return outcomes.map { $0! }
    }

    /// The statement of `insertStatement`, built once.
    static let groupInsertSQL = """
        WITH input AS (
          SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                               $8::text[], $9::text[], $10::text[], $11::int[], $12::bool[], $13::int[], $14::text[],
                               $15::bigint[])
            AS i(id, tenant_id, template_id, template_name, channel_id, type, recipients, locale, variables,
                 rendered, priority, test, max_attempts, scheduled_at, lookup_version)
        ), fresh AS (
          -- Joins, not a subquery per row: a bulk group reads its one tenant and channel once.
          SELECT i.*, CASE WHEN jsonb_typeof(c.provider_settings->'\(ChannelCatalog.maxAttemptsKey)') = 'number'
                           THEN (c.provider_settings->>'\(ChannelCatalog.maxAttemptsKey)')::int END AS channel_max_attempts
          FROM input i
          LEFT JOIN tenants t ON t.id = i.tenant_id
          LEFT JOIN channels c ON c.id = i.channel_id AND c.tenant_id = i.tenant_id
          WHERE i.lookup_version IS NULL OR i.lookup_version = t.lookup_version
        ), n AS (
          INSERT INTO notifications (id, tenant_id, template_id, template_name, channel_id, type, "to", locale,
                                     variables, rendered, priority, test, max_attempts, scheduled_at)
          SELECT f.id, f.tenant_id, f.template_id, f.template_name, f.channel_id, f.type, f.recipients::jsonb, f.locale,
                 f.variables::jsonb, f.rendered::jsonb, f.priority, f.test,
                 coalesce(f.max_attempts, f.channel_max_attempts, \(ChannelCatalog.defaultMaxAttempts)),
                 f.scheduled_at::timestamptz
          FROM fresh f
          RETURNING id, priority, scheduled_at
        ), q AS (
          INSERT INTO notification_queue (id, priority, run_at)
          SELECT id, priority, greatest(now(), coalesce(scheduled_at, now())) FROM n
          RETURNING id, priority
        )
        SELECT coalesce(array_agg(q.id), '{}')::text[] AS ids,
               CASE WHEN count(*) > 0 THEN pg_notify($16, min(q.priority)::text)::text END AS woke
        FROM q
        """

    /// One statement for the whole group: the notifications and their queue
    /// rows from arrays, each row only if its tenant's lookup version is still
    /// the one its send was built under, and one `pg_notify` if any was
    /// written. Answers the ids written (`ids`, a text array).
    static func insertStatement(_ sends: [PendingSend], ids: [String]) -> (String, [(any PostgresBind)?]) {
        let news = sends.map(\.notification)
        return (groupInsertSQL, [
            ids, news.map(\.tenantId), news.map(\.templateId), news.map(\.templateName), news.map(\.channelId),
            news.map(\.type.rawValue), news.map(\.to.jsonString), news.map(\.locale), news.map(\.variables.jsonString),
            news.map { $0.rendered?.jsonString }, news.map(\.priority.rawValue), news.map(\.test), news.map(\.maxAttempts),
            sends.map(\.scheduledAt), sends.map(\.lookupVersion), queueChannel,
        ])
    }
}

/// The store's one committer of sends: drives SendGroupState, writing each
/// group in a task of its own with a fresh request deadline (a group's
/// callers each wait in their own request).
public final class SendGroupCommitter: Sendable {
    struct Waiter: SendGroupItem {
        let send: Store.PendingSend
        let resume: @Sendable (Result<Store.SendOutcome, any Error>) -> Void
        var groupKey: String? { send.idempotencyKey.map { "\(send.notification.tenantId)\u{0}\($0)" } }
    }

    /// Sends per group at most.
    static let groupLimit = 500

    private let state = Locked(SendGroupState<Waiter>(limit: SendGroupCommitter.groupLimit))
    private let pool: PostgresPool
    private let largest = Locked(0)

    init(pool: PostgresPool) { self.pool = pool }

    /// The most sends one group has written (1: none shared a commit yet).
    public var largestGroup: Int { largest.withLock { $0 } }

    func send(_ pending: Store.PendingSend) async throws -> Store.SendOutcome {
        try await withCheckedThrowingContinuation { continuation in
            let action = state.withLock { $0.submit(Waiter(send: pending) { continuation.resume(with: $0) }) }
            run(action)
        }
    }

    private func run(_ action: SendGroupState<Waiter>.Action) {
        guard case .commit(let group) = action else { return }
        largest.withLock { $0 = max($0, group.count) }
        Task {
            let results = await self.pool.withRequestDeadline {
                await Store.commitGroup(StoreDatabase(pool: self.pool), group.map(\.send))
            }
            for (waiter, result) in zip(group, results) { waiter.resume(result) }
            let finished = self.state.withLock { $0.finished(group) }
            self.run(finished.next)
            var again: [Waiter] = []
            for (leader, result) in zip(group, results) {
                guard let key = leader.groupKey, let followers = finished.followers[key] else { continue }
                for follower in followers {
                    guard let answer = Self.answer(follower.send, from: leader.send, result) else { again.append(follower); continue }
                    follower.resume(answer)
                }
            }
            for waiter in again { self.run(self.state.withLock { $0.submit(waiter) }) }
        }
    }

    /// A follower's outcome from its leader's (same tenant and key), where
    /// the database would certainly answer the same: the leader's key row now
    /// holds the leader's body, so the same body is the leader's notification
    /// or conflict, another body a conflict with the notification. nil: only
    /// the database can tell (the leader was stale or failed alone, or it
    /// conflicted with a third body the follower may match), so the follower
    /// goes again as a leader.
    static func answer(_ follower: Store.PendingSend, from leader: Store.PendingSend,
                       _ result: Result<Store.SendOutcome, any Error>) -> Result<Store.SendOutcome, any Error>? {
        let sameBody = follower.requestDigest == leader.requestDigest
        switch result {
        case .success(.queued): return sameBody ? result : .success(.keyConflict)
        case .success(.keyConflict): return sameBody ? result : nil
        case .success(.staleLookups): return nil
        case .failure(let error): return Store.isUnavailable(error) ? result : nil
        }
    }
}
