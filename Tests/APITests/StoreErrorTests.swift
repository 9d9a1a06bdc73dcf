import Basics
import Crypto
import HeraldTestSupport
import Postgres
@testable import Store
import Testing

/// What Store throws instead of the driver's errors, against a real PostgreSQL
/// (and a port where none listens): APIError's answers rest on these codes.
@Suite struct StoreErrorTests {
    private static func store(_ pool: PostgresPool) throws -> Store {
        Store(pool: pool, keyring: Keyring(masterKey: try MasterKey(hex: MasterKey.generateHex())))
    }

    @Test func aDuplicateIsAConflictNamingItsConstraint() async throws {
        let database = try await TestDatabase.cloned(template: "migrated") { try await Migrator().migrate($0) }
        defer { Task { try? await database.drop() } }
        let pool = database.pool(size: 2)
        defer { pool.close() }
        let store = try Self.store(pool)
        let userId = try await store.ensurePlatformUser(email: "conflict@example.com")
        let tenant = try await store.createTenant(Store.NewTenant(name: "Conflict Tenant", slug: nil, environment: "staging",
                                                                  orgId: nil), creatorId: userId)
        let channel = Store.NewChannel(name: "Hooks", key: "hooks.main", description: nil, type: "webhook",
                                       provider: "webhook", settings: ["url": "https://example.com/hook"], enabled: true)
        _ = try await store.createChannel(tenantId: tenant.id, channel)
        let error = try #require(await #expect(throws: StoreError.self) {
            try await store.createChannel(tenantId: tenant.id, channel)
        })
        #expect(error.code == .conflict)
        #expect(error.sqlState == "23505")
        #expect(error.constraint != nil)
    }

    @Test func aMissingReferenceIsItsOwnCode() async throws {
        let database = try await TestDatabase.cloned(template: "migrated") { try await Migrator().migrate($0) }
        defer { Task { try? await database.drop() } }
        let pool = database.pool(size: 2)
        defer { pool.close() }
        let store = try Self.store(pool)
        let error = try #require(await #expect(throws: StoreError.self) {
            try await store.enqueue(Store.NewNotification(
                tenantId: "cnosuchtenant000000000000", templateId: nil, templateName: nil, channelId: nil, type: .inapp,
                to: ["user"], locale: "en", variables: [:], rendered: ["text": "hi"]))
        })
        #expect(error.code == .missingReference)
    }

    @Test func anUnreachableDatabaseIsUnavailable() async throws {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        let pool = PostgresPool(configuration: .init(url: "postgresql://herald@127.0.0.1:1/herald", size: 1,
                                                     acquireTimeout: .seconds(5), connectTimeout: 2))
        defer { pool.close() }
        let store = try Self.store(pool)
        let error = try #require(await #expect(throws: StoreError.self) {
            _ = try await store.templateJSON(id: "cnosuchtemplate0000000000")
        })
        #expect(error.code == .unavailable)
        #expect(error.description.hasPrefix("database: "))
    }

    /// A deadlock rolls one transaction back: that request is worth trying again, so it is
    /// `unavailable` (503), not an internal error.
    @Test func aDeadlockIsUnavailable() async throws {
        let database = try await TestDatabase.create()
        defer { Task { try? await database.drop() } }
        let setup = try PostgresConnection(url: database.url)
        try setup.execute("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0), (2, 0)")
        let first = try PostgresConnection(url: database.url)
        let second = try PostgresConnection(url: database.url)
        for (connection, id) in [(first, 1), (second, 2)] {
            try connection.execute("BEGIN")
            try connection.query("UPDATE t SET v = v + 1 WHERE id = $1", [id])
        }
        // Each now wants the other's row: PostgreSQL breaks the cycle by failing one of them.
        // On threads of their own: a lock wait must not hold the test process's cooperative threads.
        let (one, other) = (UnsafeTransfer(first), UnsafeTransfer(second))
        @Sendable func update(_ connection: UnsafeTransfer<PostgresConnection>, _ id: Int) -> PostgresError? {
            do {
                try connection.value.query("UPDATE t SET v = v + 1 WHERE id = $1", [id])
                return nil
            } catch {
                return error as? PostgresError
            }
        }
        async let a = onOwnThread { update(one, 2) }
        async let b = onOwnThread { update(other, 1) }
        let failures = try await [a, b].compactMap { $0 }
        let deadlock = try #require(failures.first { $0.isDeadlock }, "\(failures)")
        #expect(StoreError(deadlock).code == .unavailable)
    }
}
