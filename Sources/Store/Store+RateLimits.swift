import Postgres

/// How often Herald sends codes and invitations on a tenant's behalf: per
/// address (a minimum interval, and a count per hour) and per tenant (a count
/// per hour over all of them). A zero turns that limit off.
public struct RateLimits: Sendable, Equatable {
    /// Seconds between two messages to one address in one scope.
    public var addressIntervalSeconds: Int
    public var addressPerHour: Int
    public var tenantPerHour: Int

    public static let standard = RateLimits(addressIntervalSeconds: 30, addressPerHour: 10, tenantPerHour: 500)

    public init(addressIntervalSeconds: Int, addressPerHour: Int, tenantPerHour: Int) {
        self.addressIntervalSeconds = addressIntervalSeconds
        self.addressPerHour = addressPerHour
        self.tenantPerHour = tenantPerHour
    }
}

/// A send refused by a rate limit; the API answers 429 with `Retry-After`.
public struct RateLimited: Error, Sendable, Equatable {
    /// Whole seconds until the refused send would be let through (at least 1).
    public let retryAfterSeconds: Int
    /// Whether the address's window refused it (else the tenant's).
    public let perAddress: Bool
}

/// The windows are rows of `rate_limits`, taken in the caller's transaction
/// before it queues the message: the upsert locks the row, so concurrent
/// sends to one address (on any replica) queue up behind it and see its count,
/// and a transaction that throws or rolls back counts nothing.
extension Store {
    /// What kind of message a window counts; an address has one window per scope.
    public enum RateScope: String, Sendable {
        case emailVerification = "email-verification"
        case phoneVerification = "phone-verification"
        case organizationInvitation = "organization-invitation"
        case tenantInvitation = "tenant-invitation"
    }

    /// Counts one message to `address`, or throws `RateLimited` (the caller's
    /// transaction then rolls back, queuing nothing). The address's window is
    /// taken before the tenant's, always in that order, so two sends never
    /// wait for each other's rows in a cycle.
    func takeRateLimit(_ connection: PostgresConnection, tenantId: String, scope: RateScope, address: String) throws {
        let limits = rateLimits
        let subject = keyring.digest("rate-limit:\(scope.rawValue):\(address.lowercased())")
        try Self.take(connection, tenantId: tenantId, scope: scope.rawValue, subject: subject,
                      interval: limits.addressIntervalSeconds, perHour: limits.addressPerHour, perAddress: true)
        try Self.take(connection, tenantId: tenantId, scope: "tenant", subject: "",
                      interval: 0, perHour: limits.tenantPerHour, perAddress: false)
        // Windows over for an hour count nothing; rows another send holds are left for later.
        _ = try connection.query("""
            DELETE FROM rate_limits WHERE ctid IN (
              SELECT ctid FROM rate_limits WHERE tenant_id = $1
                AND last_at < now() - interval '1 hour' AND window_start < now() - interval '1 hour'
              FOR UPDATE SKIP LOCKED)
            """, [tenantId])
    }

    private static func take(_ connection: PostgresConnection, tenantId: String, scope: String, subject: String,
                             interval: Int, perHour: Int, perAddress: Bool) throws {
        guard interval > 0 || perHour > 0 else { return }
        // With a conflict the row is locked whether or not the WHERE lets the update through.
        let taken = try connection.query("""
            INSERT INTO rate_limits AS r (tenant_id, scope, subject, last_at, window_start, count)
            VALUES ($1, $2, $3, now(), now(), 1)
            ON CONFLICT (tenant_id, scope, subject) DO UPDATE SET
              last_at = greatest(r.last_at, now()),
              window_start = CASE WHEN r.window_start <= now() - interval '1 hour' THEN now() ELSE r.window_start END,
              count = CASE WHEN r.window_start <= now() - interval '1 hour' THEN 1 ELSE r.count + 1 END
            WHERE ($4 = 0 OR r.last_at <= now() - $4 * interval '1 second')
              AND ($5 = 0 OR r.window_start <= now() - interval '1 hour' OR r.count < $5)
            RETURNING 1
            """, [tenantId, scope, subject, interval, perHour])
        guard taken.isEmpty else { return }
        let wait = try connection.query("""
            SELECT ceil(greatest(1,
              CASE WHEN $4 > 0 THEN extract(epoch FROM r.last_at + $4 * interval '1 second' - now()) ELSE 0 END,
              CASE WHEN $5 > 0 AND r.count >= $5 THEN extract(epoch FROM r.window_start + interval '1 hour' - now()) ELSE 0 END
            ))::int AS wait_seconds
            FROM rate_limits r WHERE r.tenant_id = $1 AND r.scope = $2 AND r.subject = $3
            """, [tenantId, scope, subject, interval, perHour]).first?.decode("wait_seconds", as: Int.self) ?? 1
        throw RateLimited(retryAfterSeconds: wait, perAddress: perAddress)
    }
}
