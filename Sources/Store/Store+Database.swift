import Postgres

/// The store's one way to the pool: the same calls as `PostgresPool`, with
/// driver errors turned into `StoreError` on the way out, so nothing the
/// store answers carries a `PostgresError`.
struct StoreDatabase: Sendable {
    let pool: PostgresPool

    @discardableResult
    func withConnection<T: Sendable>(_ body: sending @escaping (PostgresConnection) throws -> T) async throws -> T {
        do { return try await pool.withConnection(body) } catch { throw StoreError.mapping(error) }
    }

    @discardableResult
    func withTransaction<T: Sendable>(isolation: PostgresIsolation? = nil,
                                      _ body: sending @escaping (PostgresConnection) throws -> T) async throws -> T {
        do { return try await pool.withTransaction(isolation: isolation, body) } catch { throw StoreError.mapping(error) }
    }

    /// One statement, possibly pipelined with other callers' (`PostgresPool.query`).
    func query(_ sql: String, _ params: [(any PostgresBind)?] = []) async throws -> PostgresRows {
        do { return try await pool.query(sql, params) } catch { throw StoreError.mapping(error) }
    }
}

extension Store {
    var database: StoreDatabase { StoreDatabase(pool: pool) }
}

extension PostgresRow {
    /// A column holding one of the store's kinds (`ChannelType`,
    /// `NotificationStatus`, …); a value outside the kind throws, as a
    /// malformed cell does.
    func decode<Kind: RawRepresentable>(_ column: String, as kind: Kind.Type) throws -> Kind
    where Kind.RawValue: PostgresDecodable {
        let raw = try decode(column, as: Kind.RawValue.self)
        guard let value = Kind(rawValue: raw) else {
            throw StoreError(.other, "column \(column) holds \(raw), not a \(Kind.self)")
        }
        return value
    }
}

extension Store {
    /// Runs one API request's work with a deadline for all of its database
    /// calls together (queueing for a connection included): the pool's
    /// acquire timeout, so a request that makes several calls still waits no
    /// longer than one call may when the database is stuck.
    public func withRequestDeadline<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        try await pool.withRequestDeadline(nil, body)
    }
}
