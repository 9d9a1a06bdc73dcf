/// How a `PostgresConnection` talks to its server: what may be kept in the
/// session, and how long any wait on the network may last.
public struct PostgresSessionOptions: Sendable {
    /// What sits between Herald and PostgreSQL.
    public enum PoolMode: String, Sendable, CaseIterable {
        /// A direct connection, or a pooler that gives each client one server
        /// session (PgBouncer `pool_mode = session`): named prepared
        /// statements, pipelines and session settings are safe.
        case session
        /// A pooler that hands a server session out per transaction
        /// (PgBouncer `pool_mode = transaction`, most managed offerings):
        /// only unnamed statements, nothing kept in the session, no startup
        /// `options` (PgBouncer refuses it).
        case transaction
    }

    public var poolMode: PoolMode
    /// Seconds for libpq's connect_timeout (its minimum is 2), unless the URL sets one.
    public var connectTimeout: Int
    /// The client-side deadline of one round trip (a statement, a pipeline,
    /// BEGIN or COMMIT). When it passes, the query is cancelled on the server
    /// (in the background) and the connection dropped, so a partitioned or
    /// stuck server costs a caller this long, not TCP's retransmission backoff.
    /// nil: no deadline (migrations).
    public var queryTimeout: Duration?
    /// libpq `tcp_user_timeout`: how long sent data may stay unacknowledged
    /// before the kernel gives up on the connection.
    public var tcpUserTimeoutMilliseconds: Int
    /// libpq keepalives for idle connections (seconds).
    public var keepalivesIdle: Int
    public var keepalivesInterval: Int
    public var keepalivesCount: Int
    /// Told once per connection when the server session turns out to be
    /// shared with other clients (a transaction-mode pooler under `session`
    /// mode), with advice; for logs and metrics.
    public var onSharedSession: (@Sendable (String) -> Void)?

    public init(poolMode: PoolMode = .session, connectTimeout: Int = 5, queryTimeout: Duration? = nil,
                tcpUserTimeoutMilliseconds: Int = 10_000, keepalivesIdle: Int = 10, keepalivesInterval: Int = 5,
                keepalivesCount: Int = 3, onSharedSession: (@Sendable (String) -> Void)? = nil) {
        self.poolMode = poolMode
        self.connectTimeout = connectTimeout
        self.queryTimeout = queryTimeout
        self.tcpUserTimeoutMilliseconds = tcpUserTimeoutMilliseconds
        self.keepalivesIdle = keepalivesIdle
        self.keepalivesInterval = keepalivesInterval
        self.keepalivesCount = keepalivesCount
        self.onSharedSession = onSharedSession
    }

    /// libpq connection settings, in the order `PQconnectdbParams` needs:
    /// with expand_dbname the last value of a key wins, so defaults go before
    /// the URL (which may override them) and client_encoding after it.
    func connectionSettings(url: String) -> [(String, String)] {
        var settings: [(String, String)] = [
            ("connect_timeout", String(connectTimeout)),
            ("application_name", "herald"),
        ]
        // PgBouncer refuses unknown startup parameters; in transaction mode
        // the time zone is set with SET after connecting, which PgBouncer
        // tracks and applies to whichever server session serves us.
        if poolMode == .session { settings.append(("options", "-c TimeZone=UTC")) }
        settings += [
            ("keepalives", "1"),
            ("keepalives_idle", String(keepalivesIdle)),
            ("keepalives_interval", String(keepalivesInterval)),
            ("keepalives_count", String(keepalivesCount)),
            ("tcp_user_timeout", String(tcpUserTimeoutMilliseconds)),
            ("dbname", url),
            ("client_encoding", "UTF8"),
        ]
        return settings
    }
}
