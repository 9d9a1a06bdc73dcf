import Crypto
import JSON
import Postgres

/// Queueing notifications. The log row and its queue row are inserted inside
/// the transaction of the change that causes them, so a rolled-back change
/// sends nothing and a committed one is never lost; `pg_notify` wakes the workers
/// when that transaction commits.
extension Store {
    public static let queueChannel = "herald_queue"

    public typealias Priority = NotificationPriority

    public struct NewNotification: Sendable {
        public var tenantId: String
        public var templateId: String?
        public var templateName: String?
        public var channelId: String?
        public var type: ChannelType
        public var to: JSONValue
        public var locale: String
        public var variables: JSONValue
        public var rendered: JSONValue?
        public var priority: Priority
        public var test: Bool
        /// Nil: the channel's `maxAttempts` setting, else 8.
        public var maxAttempts: Int?

        public init(tenantId: String, templateId: String?, templateName: String?, channelId: String?, type: ChannelType,
                    to: JSONValue, locale: String, variables: JSONValue, rendered: JSONValue?,
                    priority: Priority = .normal, test: Bool = false, maxAttempts: Int? = nil) {
            self.tenantId = tenantId
            self.templateId = templateId
            self.templateName = templateName
            self.channelId = channelId
            self.type = type
            self.to = to
            self.locale = locale
            self.variables = variables
            self.rendered = rendered
            self.priority = priority
            self.test = test
            self.maxAttempts = maxAttempts
        }
    }

    /// Inserts a queued notification and its queue row on `connection`
    /// (inside the caller's transaction) and notifies the workers at commit;
    /// answers its id. With `scheduledAt` (an ISO 8601 timestamp) it waits
    /// until then.
    public static func enqueue(_ connection: PostgresConnection, _ new: NewNotification,
                               scheduledAt: String? = nil) throws -> String {
        let id = Identifier.make()
        _ = try connection.query("""
            WITH n AS (
              INSERT INTO notifications (id, tenant_id, template_id, template_name, channel_id, type, "to", locale,
                                         variables, rendered, priority, test, max_attempts, scheduled_at)
              VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::jsonb, $10::jsonb, $11, $12,
                      coalesce($13::int, (\(channelMaxAttempts(channel: "$5", tenant: "$2"))), \(ChannelCatalog.defaultMaxAttempts)),
                      $14::timestamptz)
              RETURNING id, priority, scheduled_at
            )
            INSERT INTO notification_queue (id, priority, run_at)
            SELECT id, priority, greatest(now(), coalesce(scheduled_at, now())) FROM n
            """, [id, new.tenantId, new.templateId, new.templateName, new.channelId, new.type.rawValue, new.to.jsonString,
                  new.locale, new.variables.jsonString, new.rendered?.jsonString, new.priority.rawValue, new.test,
                  new.maxAttempts, scheduledAt])
        _ = try connection.query("SELECT pg_notify($1, $2)", [queueChannel, String(new.priority.rawValue)])
        return id
    }

    /// SQL for the `maxAttempts` setting of a channel (NULL when unset or
    /// when there is no such channel), `channel` and `tenant` being SQL
    /// expressions.
    static func channelMaxAttempts(channel: String, tenant: String) -> String {
        """
        SELECT (c.provider_settings->>'\(ChannelCatalog.maxAttemptsKey)')::int FROM channels c
        WHERE c.id = \(channel) AND c.tenant_id = \(tenant) AND jsonb_typeof(c.provider_settings->'\(ChannelCatalog.maxAttemptsKey)') = 'number'
        """
    }

    public func enqueue(_ new: NewNotification) async throws -> String {
        try await database.withTransaction { connection in try Self.enqueue(connection, new) }
    }
}
