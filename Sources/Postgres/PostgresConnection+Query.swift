import CLibPQ
import Foundation

extension PostgresConnection {
    /// Runs one statement with every value bound as a `$n` parameter (text
    /// format). In `session` pool mode through a per-connection
    /// prepared-statement cache keyed by the SQL text; in `transaction` mode
    /// as an unnamed statement (Parse, Bind, Execute in one round trip), which
    /// a transaction-mode pooler can route. The PGresult is always cleared
    /// before returning.
    ///
    ///     let rows = try conn.query("SELECT name FROM users WHERE id = $1", [id])
    @discardableResult
    public func query(_ sql: String, _ params: [(any PostgresBind)?] = []) throws -> PostgresRows {
        _ = try live()
        return try withEncoded(params, sql: sql) { values, types in
            let count = Int32(params.count)
            if options.poolMode == .session, let name = statements[sql] {
                let result = try roundTrip(sql: sql) { PQsendQueryPrepared($0, name, count, values, nil, nil, 0) }
                if let result, !Self.isFailure(result) { return rows(result) }
                let error = makeError(result, sql: sql)
                PQclear(result)
                guard isStalePlan(error) else { throw error }
                // "Does not exist" for a statement this session prepared and
                // never deallocated: the server session is not ours alone.
                if error.sqlState == "26000" { reportSharedSession() }
                // DDL changed the statement's result type (or the statement
                // vanished): forget it; if no transaction was aborted by the
                // failure, nothing ran, so re-prepare and run again.
                forget(sql: sql, name: name)
                guard transactionStatus == .idle else { throw withSharedSessionAdvice(error) }
            }
            if options.poolMode == .session && statements.count < statementCacheLimit {
                let name = try prepare(sql, count: count, types: types)
                return try rows(roundTrip(sql: sql) { PQsendQueryPrepared($0, name, count, values, nil, nil, 0) }, sql: sql)
            }
            return try rows(roundTrip(sql: sql) { PQsendQueryParams($0, sql, count, types, values, nil, nil, 0) }, sql: sql)
        }
    }

    /// The rows of a successful result, which is cleared.
    private func rows(_ result: OpaquePointer) -> PostgresRows {
        defer { PQclear(result) }
        return PostgresRows(result: result)
    }

    /// The rows of `result`, or its error; cleared either way.
    func rows(_ result: OpaquePointer?, sql: String) throws -> PostgresRows {
        defer { PQclear(result) }
        try check(result, sql: sql)
        return PostgresRows(result: result!)
    }

    /// Runs `body` between BEGIN and COMMIT; rolls back and rethrows if it
    /// throws. Throws if COMMIT turned into a rollback (an error inside the
    /// transaction was caught and ignored).
    @discardableResult
    public func transaction<T>(
        isolation: PostgresIsolation? = nil, _ body: () throws -> T
    ) throws -> T {
        try execute(isolation.map { "BEGIN ISOLATION LEVEL \($0.rawValue)" } ?? "BEGIN")
        do {
            let result = try body()
            let tag = try execute("COMMIT")
            if tag == "ROLLBACK" {
                throw PostgresError(.query, "transaction was rolled back: a statement in it failed", sqlState: "25P02")
            }
            return result
        } catch {
            if isConnected, transactionStatus != .idle { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    /// The name `statement` is prepared under on this session, preparing it
    /// now if needed; throws when the cache is full (or the SQL is invalid).
    func preparedName(for statement: PipelinedStatement) throws -> String {
        if let name = statements[statement.sql] { return name }
        guard statements.count < statementCacheLimit else {
            throw PostgresError(.query, "prepared statement cache full", query: statement.sql)
        }
        // The types `withEncoded` would bind: a NULL's is left to the server.
        let types = statement.params.map { $0?.postgresTypeOID ?? 0 }
        return try prepare(statement.sql, count: Int32(types.count), types: types)
    }

    /// Prepares `sql` under its name (PostgresStatementName) and caches it.
    private func prepare(_ sql: String, count: Int32, types: UnsafePointer<Oid>?) throws -> String {
        let name = PostgresStatementName.make(sql: sql, generation: statementGeneration)
        let prepared = try roundTrip(sql: sql) { PQsendPrepare($0, name, sql, count, types) }
        defer { PQclear(prepared) }
        if let prepared, Self.isFailure(prepared) {
            let error = makeError(prepared, sql: sql)
            // "Already exists": another client prepared it on this server
            // session, which a pooler shares. The name is the SQL's hash, so it
            // is this very statement; outside a transaction it can be used.
            guard error.sqlState == "42P05" else { throw error }
            reportSharedSession()
            guard transactionStatus == .idle else { throw withSharedSessionAdvice(error) }
        } else {
            try check(prepared, sql: sql)
        }
        statements[sql] = name
        return name
    }

    /// Number of cached prepared statements (for tests and metrics).
    public var preparedStatementCount: Int { statements.count }

    // MARK: - Internals

    private func isOK(_ result: OpaquePointer?) -> Bool {
        guard let result else { return false }
        let status = PQresultStatus(result)
        return status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK
    }

    func isStalePlan(_ error: PostgresError) -> Bool {
        switch error.sqlState {
        case "0A000": return error.message.contains("cached plan must not change result type")
        case "26000": return true // prepared statement does not exist (DEALLOCATE ALL, DISCARD ALL)
        default: return false
        }
    }

    func forget(sql: String, name: String) {
        statements[sql] = nil
        // Free it server-side when we can; inside an aborted transaction we
        // cannot, and it lives until the session ends: later preparations of
        // any statement then take names of a new generation.
        if transactionStatus == .idle, (try? execute("DEALLOCATE \(name)")) != nil { return }
        statementGeneration += 1
    }

    /// Encodes parameters as NUL-terminated text in one buffer and passes
    /// libpq pointers into it. Values never appear in errors.
    func withEncoded<R>(
        _ params: [(any PostgresBind)?], sql: String,
        _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Oid>?) throws -> R
    ) throws -> R {
        if params.isEmpty { return try body(nil, nil) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(params.count * 16)
        var offsets: [Int] = []
        offsets.reserveCapacity(params.count)
        var types: [Oid] = []
        types.reserveCapacity(params.count)
        for (i, param) in params.enumerated() {
            guard let param else {
                offsets.append(-1)
                types.append(0)
                continue
            }
            var text = param.postgresText
            let clean = text.withUTF8 { utf8 -> Bool in
                guard !utf8.contains(0) else { return false }
                buffer.append(contentsOf: utf8)
                return true
            }
            guard clean else {
                throw PostgresError(.encoding, "parameter $\(i + 1) contains a NUL byte", query: sql)
            }
            offsets.append(buffer.count - text.utf8.count)
            buffer.append(0)
            types.append(param.postgresTypeOID)
        }
        return try buffer.withUnsafeBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            let pointers = offsets.map { $0 < 0 ? nil : UnsafePointer(base + $0) }
            return try pointers.withUnsafeBufferPointer { values in
                try types.withUnsafeBufferPointer { types in
                    try body(values.baseAddress, types.baseAddress)
                }
            }
        }
    }
}

/// Transaction isolation level for `BEGIN ISOLATION LEVEL ...`.
public enum PostgresIsolation: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}
