import Crypto
import HeraldTestSupport
import Postgres
import Store
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
}
