/// An error from the Postgres module.
///
/// `description` never contains bound parameter values, and leaves out the
/// server's `detail` (which for constraint violations echoes row values such
/// as e-mail addresses). Both stay available as properties for code that
/// needs them.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. A struct rather than an enum so new kinds
    /// can be added without breaking `switch`es in callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Could not open a connection (server down, bad URL, auth failure).
        public static let connectionFailed = Code("connectionFailed")
        /// An open connection broke while in use (server restart, network).
        /// The statement may or may not have been executed.
        public static let connectionLost = Code("connectionLost")
        /// The server did not answer within the session's query deadline; the
        /// connection was dropped. The statement may or may not have run.
        public static let timeout = Code("timeout")
        /// The server rejected a statement; see `sqlState`.
        public static let query = Code("query")
        /// A value could not be decoded as the requested Swift type.
        public static let decoding = Code("decoding")
        /// A parameter could not be encoded (e.g. a string containing NUL).
        public static let encoding = Code("encoding")
        /// No pooled connection became free within the acquire timeout.
        public static let poolTimeout = Code("poolTimeout")
        /// The pool (or listener) was closed.
        public static let poolClosed = Code("poolClosed")
        /// Bad argument from the caller (invalid channel name, ...).
        public static let invalidArgument = Code("invalidArgument")
        /// A local cluster command (initdb, pg_ctl) failed.
        public static let cluster = Code("cluster")
    }

    public var code: Code
    /// Five-character SQLSTATE from the server, when the server sent one.
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var table: String?
    public var column: String?
    /// The SQL text that failed (never its parameters).
    public var query: String?

    public init(
        _ code: Code, _ message: String, sqlState: String? = nil, detail: String? = nil,
        hint: String? = nil, constraint: String? = nil, table: String? = nil,
        column: String? = nil, query: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.table = table
        self.column = column
        self.query = query
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
    public var isNotNullViolation: Bool { sqlState == "23502" }
    public var isCheckViolation: Bool { sqlState == "23514" }
    /// 40001: a serializable / repeatable-read transaction must be retried.
    public var isSerializationFailure: Bool { sqlState == "40001" }
    public var isDeadlock: Bool { sqlState == "40P01" }
    /// True for failures where the server was unreachable or went away.
    public var isConnectionError: Bool { code == .connectionFailed || code == .connectionLost || code == .timeout }

    public var description: String {
        var s = "PostgresError.\(code)"
        if let sqlState { s += " [\(sqlState)]" }
        s += ": \(message)"
        if let constraint { s += " (constraint \(constraint))" }
        return s
    }
}

extension PostgresError {
    /// Server messages for data exceptions (SQLSTATE class 22) quote the
    /// offending input, e.g. `invalid input syntax for type integer: "s3cret"`.
    /// That input is usually a bound parameter, so the quoted part is removed.
    static func redactingInput(_ message: String, sqlState: String?) -> String {
        guard let sqlState, sqlState.hasPrefix("22"),
              let colon = message.range(of: ": \"", options: .backwards)
        else { return message }
        return message[..<colon.lowerBound] + ": \"…\""
    }
}
