import Postgres

/// What went wrong in the store, in the terms its callers act on. Store's
/// public functions throw this instead of the driver's `PostgresError`, so the
/// API and the worker never need to know the database client.
///
/// `description` never carries bound values or the server's `detail` (which
/// for constraint violations echoes row values such as e-mail addresses).
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// A struct rather than an enum so new kinds can be added without
    /// breaking `switch`es in callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The database could not be reached in time: connection failed or
        /// lost, no pooled connection free before the timeout, a query deadline.
        /// Worth retrying shortly.
        public static let unavailable = Code("unavailable")
        /// A unique constraint refused the row (`constraint` names it).
        public static let conflict = Code("conflict")
        /// A foreign key refused the row: what it refers to does not exist.
        public static let missingReference = Code("missingReference")
        /// A value the database (or its encoding) cannot hold or read.
        public static let invalidInput = Code("invalidInput")
        /// Anything else: a bug or an unexpected server answer.
        public static let other = Code("other")
    }

    public var code: Code
    public var message: String
    /// The constraint that refused a write, for conflicts and missing references.
    public var constraint: String?
    /// Five-character SQLSTATE from the server, when it sent one.
    public var sqlState: String?

    public init(_ code: Code, _ message: String, constraint: String? = nil, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.constraint = constraint
        self.sqlState = sqlState
    }

    /// The same words the worker recorded for a driver error ("database: …"),
    /// so `last_error` texts stay as they were.
    public var description: String { "database: \(message)" }

    public var isUnavailable: Bool { code == .unavailable }
}

extension StoreError {
    /// Classifies a driver error at the store's boundary.
    init(_ error: PostgresError) {
        let code: Code
        switch error.sqlState {
        case "23505": code = .conflict
        case "23503": code = .missingReference
        // 57014: a statement timeout or cancel (a query's deadline); class 08: the connection broke.
        case "57014": code = .unavailable
        case let state? where state.hasPrefix("08"): code = .unavailable
        // Class 40: a deadlock or serialization failure rolled the transaction back; the same
        // request may succeed when tried again (503, which providers and clients retry).
        case let state? where state.hasPrefix("40"): code = .unavailable
        case let state? where state.hasPrefix("22"): code = .invalidInput
        default:
            if error.isConnectionError || error.code == .poolTimeout {
                code = .unavailable
            } else if error.code == .encoding || error.code == .decoding {
                code = .invalidInput
            } else {
                code = .other
            }
        }
        self.init(code, error.message, constraint: error.constraint, sqlState: error.sqlState)
    }

    /// `error` as a StoreError when it came from the driver; anything else
    /// (CancellationError, the store's own outcomes) passes through.
    static func mapping(_ error: any Error) -> any Error {
        if let error = error as? PostgresError { return StoreError(error) }
        return error
    }
}

extension StoreError {
    /// Runs `body`, which reads cells of rows already fetched, with driver
    /// errors (a malformed or missing cell) turned into StoreError.
    static func mapped<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw mapping(error) }
    }
}
