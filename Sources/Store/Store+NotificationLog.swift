import Crypto
import JSON
import Postgres

/// The read side of notifications (logs, one with its attempts), operator
/// actions (retry, cancel).
extension Store {
    public func notificationsPage(tenantId: String, type: ChannelType, _ request: PageRequest) async throws -> Page {
        try await database.withConnection { connection in
            try connection.page(PageQuery(from: "notifications t", projection: Projection.notification,
                                          filter: "t.tenant_id = $1 AND t.type = $2", binds: [tenantId, type.rawValue]), request)
        }
    }

    /// The notification's tenant, or, for a message of a bulk send not yet
    /// fanned out (Store+Batches), its batch's: the reads that follow fan it
    /// out. Reads only, so a call refused after it writes nothing.
    public func notificationTenant(id: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("""
                (SELECT tenant_id FROM notifications WHERE id = $1)
                UNION ALL (SELECT tenant_id FROM notification_batches WHERE id = left($1, \(Identifier.batchLength)))
                LIMIT 1
                """, [id]).first?.decode("tenant_id", as: String.self)
        }
    }

    /// The notification with `deliveryAttempts`, oldest attempt first, and
    /// what the provider said later (`Projection.notificationDelivery`).
    public func notificationJSON(id: String, tenantId: String) async throws -> String? {
        try await readingBatchMessage(id) { try await notificationRowJSON(id: id, tenantId: tenantId) }
    }

    private func notificationRowJSON(id: String, tenantId: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("""
                SELECT ((\(Projection.notification))::jsonb || jsonb_build_object('deliveryAttempts', coalesce(
                  (SELECT jsonb_agg(\(Projection.notificationAttempt) ORDER BY a.attempt)
                   FROM notification_attempts a WHERE a.notification_id = t.id), '[]'::jsonb))
                  || \(Projection.notificationDelivery))::text AS json
                FROM notifications t WHERE t.id = $1 AND t.tenant_id = $2
                """, [id, tenantId]).first?.decode("json", as: String.self)
        }
    }

    public enum OperatorAction: Sendable { case retry, cancel }

    public enum OperatorOutcome: Sendable, Equatable {
        case done(json: String)
        case notFound
        case wrongState(NotificationStatus)
    }

    /// Retry takes a failed or cancelled notification back to the queue with a
    /// fresh attempt budget (its channel's maximum); cancel stops one that has not started sending.
    public func apply(_ action: OperatorAction, notificationId id: String, tenantId: String) async throws -> OperatorOutcome {
        try await readingBatchMessage(id) {
            let outcome = try await applyToRow(action, notificationId: id, tenantId: tenantId)
            return outcome == .notFound ? nil : outcome
        } ?? .notFound
    }

    private func applyToRow(_ action: OperatorAction, notificationId id: String, tenantId: String) async throws -> OperatorOutcome {
        try await database.withTransaction { connection in
            guard let logged = try connection.query(
                "SELECT status FROM notifications WHERE id = $1 AND tenant_id = $2 FOR UPDATE", [id, tenantId])
                .first?.decode("status", as: NotificationStatus.self) else { return .notFound }
            // Locking the queue row too waits for a claim that is committing
            // and keeps the next claim off it; a leased row is being sent.
            let leased = try connection.query(
                "SELECT locked_by IS NOT NULL AS leased FROM notification_queue WHERE id = $1 FOR UPDATE", [id])
                .first?.decode("leased", as: Bool.self) ?? false
            let status: NotificationStatus = leased ? .sending : logged
            switch action {
            case .retry:
                guard status == .failed || status == .cancelled else { return .wrongState(status) }
                _ = try connection.query("""
                    WITH n AS (
                      UPDATE notifications n SET status = 'queued', updated_at = herald_now(), max_attempts = n.attempts
                        + coalesce((\(Self.channelMaxAttempts(channel: "n.channel_id", tenant: "n.tenant_id"))), \(ChannelCatalog.defaultMaxAttempts))
                      WHERE n.id = $1 RETURNING n.id, n.priority, n.attempts
                    )
                    INSERT INTO notification_queue (id, priority, run_at, attempts) SELECT id, priority, now(), attempts FROM n
                    """, [id])
                _ = try connection.query("SELECT pg_notify($1, 'retry')", [Self.queueChannel])
            case .cancel:
                guard status == .queued else { return .wrongState(status) }
                _ = try connection.query("DELETE FROM notification_queue WHERE id = $1", [id])
                _ = try connection.query(
                    "UPDATE notifications SET status = 'cancelled', updated_at = herald_now() WHERE id = $1", [id])
            }
            let json = try connection.query("SELECT (\(Projection.notification))::text AS json FROM notifications t WHERE t.id = $1", [id])
            return .done(json: try json[0].decode("json", as: String.self))
        }
    }
}
