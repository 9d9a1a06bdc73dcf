import CLibPQ
import Foundation

extension PostgresConnection {
    /// Runs one statement with every value bound as a `$n` parameter (text
    /// format), through a per-connection prepared-statement cache keyed by
    /// the SQL text. The PGresult is always cleared before returning.
    ///
    ///     let rows = try conn.query("SELECT name FROM users WHERE id = $1", [id])
    @discardableResult
    public func query(_ sql: String, _ params: [(any PostgresBind)?] = []) throws -> PostgresRows {
        let pg = try live()
        return try withEncoded(params, sql: sql) { values, types in
            let count = Int32(params.count)
            if let name = statements[sql] {
                let result = PQexecPrepared(pg, name, count, values, nil, nil, 0)
                defer { PQclear(result) }
                if isOK(result) { return PostgresRows(result: result!) }
                let error = makeError(result, sql: sql)
                guard isStalePlan(error) else { throw error }
                // DDL changed the statement's result type (or the statement
                // vanished): forget it; if no transaction was aborted by the
                // failure, nothing ran, so re-prepare and run again.
                forget(sql: sql, name: name)
                guard transactionStatus == .idle else { throw error }
            }
            if statements.count < statementCacheLimit {
                let name = try prepare(sql, count: count, types: types)
                let result = PQexecPrepared(pg, name, count, values, nil, nil, 0)
                defer { PQclear(result) }
                try check(result, sql: sql)
                return PostgresRows(result: result!)
            }
            let result = PQexecParams(pg, sql, count, types, values, nil, nil, 0)
            defer { PQclear(result) }
            try check(result, sql: sql)
            return PostgresRows(result: result!)
        }
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

    /// Prepares `sql` under the next free name and caches it.
    private func prepare(_ sql: String, count: Int32, types: UnsafePointer<Oid>?) throws -> String {
        let pg = try live()
        statementCounter += 1
        let name = "s\(statementCounter)"
        let prepared = PQprepare(pg, name, sql, count, types)
        defer { PQclear(prepared) }
        try check(prepared, sql: sql)
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
        // cannot, and it simply lives until the session ends.
        if transactionStatus == .idle, let pg {
            PQclear(PQexec(pg, "DEALLOCATE \(name)"))
        }
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
