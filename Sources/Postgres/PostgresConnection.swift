import Basics
import CLibPQ
import Foundation

/// One libpq connection.
///
/// Not thread-safe and deliberately not Sendable: use it from one thread at a
/// time. `PostgresPool` confines each connection to its own thread, which is
/// the normal way to use it from async code.
///
/// The URL may be a URI (`postgres://user:pass@host:5432/db?sslmode=disable`,
/// `postgresql:///db?host=/socket/dir`) or a key=value string
/// (`host=/socket/dir dbname=db`); libpq parses both. Every session runs with
/// `TimeZone=UTC` and `client_encoding=UTF8`. `options` say whether a
/// transaction-mode pooler sits in front (then nothing is kept in the
/// session) and bound every wait on the server (PostgresConnection+RoundTrip).
///
/// When the connection breaks (server restart, network), the failing call
/// throws `.connectionLost` and every later call throws it too until
/// `reconnect()` (or `reconnectIfNeeded()`) is called: a transaction must
/// never silently continue on a fresh session.
public final class PostgresConnection {
    public let url: String
    /// Settable between statements, e.g. to lift the deadline for a migration.
    public var options: PostgresSessionOptions
    public var connectTimeout: Int { options.connectTimeout }
    /// The end of the current caller's budget (set by the pool for a caller
    /// that waited for this connection): no round trip, and no reconnect,
    /// lasts past it, whatever `options` allow.
    var budgetDeadline: ContinuousClock.Instant?

    var pg: OpaquePointer?
    var broken = false
    /// Prepared statements by SQL text. A name is derived from the SQL's hash
    /// (PostgresStatementName), so it can never stand for another statement,
    /// even on a server session that a pooler shares with other clients.
    var statements: [String: String] = [:]
    /// Bumped when a statement is forgotten (its plan went stale) but could not
    /// be deallocated: the next preparation then gets a fresh name.
    var statementGeneration = 0
    /// Whether this session was found shared with other clients (reported once).
    var sharedSessionReported = false
    /// Beyond this many distinct statements, SQL runs unprepared (PQexecParams)
    /// so ad-hoc SQL cannot grow server memory without bound.
    public var statementCacheLimit = 512
    /// Written by libpq's notice callback (on this connection's thread).
    let notices = NoticeState()

    /// Connects at once; throws `.connectionFailed`. `connectTimeout` is in
    /// seconds (libpq's minimum is 2) and only applies if the URL sets none.
    public convenience init(url: String, connectTimeout: Int = 5) throws {
        try self.init(url: url, options: PostgresSessionOptions(connectTimeout: connectTimeout))
    }

    public convenience init(url: String, options: PostgresSessionOptions) throws {
        try self.init(url: url, options: options, budget: nil)
    }

    init(url: String, options: PostgresSessionOptions, budget: ContinuousClock.Instant?) throws {
        self.url = url
        self.options = options
        self.budgetDeadline = budget
        try open()
    }

    deinit {
        if let pg { PQfinish(pg) }
    }

    public enum TransactionStatus: Sendable {
        case idle, active, inTransaction, inError, unknown
    }

    /// True while the session is usable (not closed, not broken).
    public var isConnected: Bool {
        guard let pg, !broken else { return false }
        return PQstatus(pg) == CONNECTION_OK
    }

    public var transactionStatus: TransactionStatus {
        guard let pg else { return .unknown }
        switch PQtransactionStatus(pg) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_ACTIVE: return .active
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .inError
        default: return .unknown
        }
    }

    /// Backend process id (as seen in pg_stat_activity.pid and NOTIFY).
    public var backendPID: Int32 { pg.map { PQbackendPID($0) } ?? 0 }

    /// Opens a fresh session, dropping the old one and its prepared statements.
    public func reconnect() throws {
        try open()
    }

    /// Reconnects only when the session is closed or broken. Also notices a
    /// server that went away while this connection sat idle (it sent a
    /// termination message or closed the socket), without a round trip.
    public func reconnectIfNeeded() throws {
        checkIdleSocket()
        if !isConnected { try open() }
    }

    public func close() {
        if let pg { PQfinish(pg) }
        pg = nil
        statements = [:]
    }

    /// Runs parameterless SQL, possibly several statements (migrations).
    /// Returns the last command tag.
    @discardableResult
    public func execute(_ sql: String) throws -> String {
        let result = try roundTrip(sql: sql) { PQsendQuery($0, sql) }
        defer { PQclear(result) }
        try check(result, sql: sql)
        return String(cString: PQcmdStatus(result))
    }

    // MARK: - Internals

    private func open() throws {
        close()
        var effective = options
        if let budgetDeadline {
            // libpq's connect_timeout is whole seconds, at least 2.
            let left = Int((budgetDeadline - ContinuousClock.now).seconds.rounded(.up))
            effective.connectTimeout = max(2, min(options.connectTimeout, left))
        }
        let settings = effective.connectionSettings(url: url)
        let keys = settings.map { strdup($0.0) }
        let values = settings.map { strdup($0.1) }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keyPointers = keys.map { UnsafePointer<CChar>($0) } + [nil]
        var valuePointers = values.map { UnsafePointer<CChar>($0) } + [nil]
        guard let conn = PQconnectdbParams(&keyPointers, &valuePointers, 1) else {
            throw PostgresError(.connectionFailed, "libpq could not allocate a connection")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            var message = Self.message(of: conn)
            PQfinish(conn)
            if message.contains("unsupported startup parameter") {
                message += " (a connection pooler such as PgBouncer refuses Herald's session settings: "
                    + "set HERALD_DATABASE_POOL_MODE=transaction)"
            }
            throw PostgresError(.connectionFailed, message)
        }
        // libpq prints server NOTICEs to stderr by default; drop them, but
        // remember a FATAL one: the server sends it (as an unsolicited
        // message, which libpq treats as a notice) right before closing.
        notices.fatal = false
        PQsetNoticeReceiver(conn, { context, result in
            guard let context, let result,
                  let severity = PQresultErrorField(result, Int32(Character("V").asciiValue!)) else { return }
            let level = String(cString: severity)
            if level == "FATAL" || level == "PANIC" {
                Unmanaged<NoticeState>.fromOpaque(context).takeUnretainedValue().fatal = true
            }
        }, Unmanaged.passUnretained(notices).toOpaque())
        pg = conn
        broken = false
        statements = [:]
        statementGeneration = 0
        sharedSessionReported = false
        // A URL with its own `options` replaces ours, and in transaction mode
        // there are none: enforce UTC with SET (a pooler tracks it).
        if let tz = PQparameterStatus(conn, "TimeZone"), String(cString: tz) != "UTC" {
            try execute("SET TimeZone TO 'UTC'")
        }
    }

    /// The live PGconn, or the error that explains why there is none.
    @inline(__always)
    func live() throws -> OpaquePointer {
        guard let pg else { throw PostgresError(.connectionLost, "connection is closed") }
        guard !broken, PQstatus(pg) == CONNECTION_OK else {
            broken = true
            throw PostgresError(.connectionLost, "connection to the server was lost; reconnect first")
        }
        return pg
    }

    /// If the socket is readable while we are not running a query, the
    /// server sent something unsolicited: a notification, or a termination
    /// notice / EOF after a shutdown. Consume it and let PQstatus tell.
    func checkIdleSocket() {
        guard let pg, !broken, PQstatus(pg) == CONNECTION_OK else { return }
        var fds = pollfd(fd: PQsocket(pg), events: Int16(POLLIN), revents: 0)
        // A shutdown sends a FATAL message, then EOF: read until quiet.
        for _ in 0..<4 where poll(&fds, 1, 0) > 0 {
            if PQconsumeInput(pg) == 0 || PQstatus(pg) != CONNECTION_OK || notices.fatal {
                broken = true
                return
            }
            while let notification = PQnotifies(pg) { PQfreemem(notification) }
        }
    }

    /// Throws unless `result` is a success. Marks the connection broken when
    /// libpq says the session is gone.
    func check(_ result: OpaquePointer?, sql: String?) throws {
        if let result {
            switch PQresultStatus(result) {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                return
            case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                // The session is now in COPY mode, which we do not drive.
                broken = true
                throw PostgresError(.query, "COPY is not supported", query: sql)
            default:
                break
            }
        }
        throw makeError(result, sql: sql)
    }

    func makeError(_ result: OpaquePointer?, sql: String?) -> PostgresError {
        let sessionGone = pg == nil || PQstatus(pg) != CONNECTION_OK || notices.fatal
        guard let result else {
            broken = true
            return PostgresError(.connectionLost, pg.map(Self.message(of:)) ?? "no connection", query: sql)
        }
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field("C")
        // 57P0x: the server is shutting down or killed this backend.
        let lost = sessionGone || sqlState?.hasPrefix("57P") == true || sqlState?.hasPrefix("08") == true
        if lost { broken = true }
        var message = field("M") ?? String(cString: PQresultErrorMessage(result))
        if message.isEmpty, let pg { message = Self.message(of: pg) }
        return PostgresError(
            lost ? .connectionLost : .query,
            PostgresError.redactingInput(message.trimmingCharacters(in: .whitespacesAndNewlines), sqlState: sqlState),
            sqlState: sqlState, detail: field("D"), hint: field("H"),
            constraint: field("n"), table: field("t"), column: field("c"), query: sql)
    }

    static func message(of conn: OpaquePointer) -> String {
        guard let cString = PQerrorMessage(conn) else { return "unknown libpq error" }
        let text = String(cString: cString).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "unknown libpq error" : text
    }
}

final class NoticeState {
    var fatal = false
}
