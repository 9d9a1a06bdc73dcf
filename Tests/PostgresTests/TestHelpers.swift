import Foundation
import HeraldTestSupport
import Postgres

/// Runs `body` with a fresh database and a pool on it; drops both after.
func withPool<T>(size: Int = 4, acquireTimeout: Duration = .seconds(10),
                 _ body: (PostgresPool, TestDatabase) async throws -> T) async throws -> T {
    let database = try await TestDatabase.create()
    let pool = database.pool(size: size, acquireTimeout: acquireTimeout)
    do {
        let result = try await body(pool, database)
        pool.close()
        try await database.drop()
        return result
    } catch {
        pool.close()
        try? await database.drop()
        throw error
    }
}

struct Boom: Error {}

/// Seconds elapsed while running `body`.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = Date()
    let result = try await body()
    return (result, Date().timeIntervalSince(start))
}
