import Foundation
import Postgres

/// Applies the versioned SQL files in `Migrations/` in order, each in its own
/// transaction, under an advisory lock so that processes starting together
/// (an API replica and a worker) never race. Applied versions are recorded in
/// `schema_migrations`.
public struct Migrator: Sendable {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    /// Arbitrary but fixed: the key of the advisory lock held while migrating.
    static let lockKey: Int64 = 0x4845_5241_4C44 // "HERALD"

    public let migrations: [Migration]

    public init(migrations: [Migration] = Migrator.bundled()) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// The SQL files shipped with the Store module, named `NNNN_name.sql`.
    public static func bundled() -> [Migration] {
        guard let folder = Bundle.module.resourceURL?.appendingPathComponent("Migrations"),
              let urls = try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        else { return [] }
        return urls.filter { $0.pathExtension == "sql" }.compactMap { url in
            let file = url.deletingPathExtension().lastPathComponent
            guard let underscore = file.firstIndex(of: "_"),
                  let version = Int(file[..<underscore]),
                  let sql = try? String(contentsOf: url, encoding: .utf8) else { return nil }
            return Migration(version: version, name: String(file[file.index(after: underscore)...]), sql: sql)
        }.sorted { $0.version < $1.version }
    }

    /// Applies what is missing; calls `report` once per migration applied.
    ///
    /// Each migration runs in a transaction of its own that first takes a
    /// transaction-scoped advisory lock: behind a transaction-mode pooler a
    /// session lock could be taken on one server session and "released" on
    /// another, and would then outlive the migration. No query deadline: a
    /// migration may rewrite a large table.
    @discardableResult
    public func migrate(_ pool: PostgresPool, report: @escaping @Sendable (Migration) -> Void = { _ in }) async throws -> [Migration] {
        let migrations = migrations
        return try await pool.withConnection { connection in
            let saved = connection.options
            connection.options.queryTimeout = nil
            defer { connection.options = saved }
            // One locked transaction makes the table and reads what is
            // applied: on a current database that is all a start costs.
            let applied = try connection.transaction { () -> Set<Int> in
                _ = try connection.query("SELECT pg_advisory_xact_lock($1)", [Self.lockKey])
                try connection.execute("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version int PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now())
                    """)
                return Set(try connection.query("SELECT version FROM schema_migrations", []).map {
                    try $0.decode("version", as: Int.self)
                })
            }
            var done: [Migration] = []
            for migration in migrations where !applied.contains(migration.version) {
                // Checked again under the lock: another process may have
                // applied it since.
                let applied = try connection.transaction { () -> Bool in
                    _ = try connection.query("SELECT pg_advisory_xact_lock($1)", [Self.lockKey])
                    let present = try connection.query("SELECT 1 AS present FROM schema_migrations WHERE version = $1",
                                                       [migration.version])
                    guard present.isEmpty else { return false }
                    try connection.execute(migration.sql)
                    _ = try connection.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                             [migration.version, migration.name])
                    return true
                }
                if applied {
                    report(migration)
                    done.append(migration)
                }
            }
            return done
        }
    }

    /// The highest applied version, or 0 on an empty database.
    public func currentVersion(_ pool: PostgresPool) async throws -> Int {
        try await pool.withConnection { connection in
            let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present", [])
            guard try exists.first?.decode("present", as: Bool.self) == true else { return 0 }
            let rows = try connection.query("SELECT coalesce(max(version), 0) AS version FROM schema_migrations", [])
            return try rows.first.map { try $0.decode("version", as: Int.self) } ?? 0
        }
    }
}
