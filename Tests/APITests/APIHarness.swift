import API
import Crypto
import Foundation
import HeraldCore
import HeraldTestSupport
import JSON
import Logging
import Postgres
import Store
import Testing

/// A running Herald API on a fresh, migrated database: real sockets, real
/// PostgreSQL. Databases are cloned from one migrated template per process,
/// so each test starts from an empty schema in milliseconds.
final class APIHarness: APIClient {
    let database: TestDatabase
    let services: Services
    let server: APIServer
    let jwtSecret: String
    let contract: OpenAPIContract

    /// Where every harness's API keeps uploads (`HERALD_DATA_DIR`).
    static let media = MediaStorage(root: ".herald/data")

    var port: Int { server.port }
    var store: Store { services.store }
    var pool: PostgresPool { services.pool }

    /// `settings` adds to (or overrides) the environment the configuration is read from.
    static func start(poolSize: Int = 4, logLevel: Logger.Level = .warning,
                      logSink: (@Sendable (String) -> Void)? = nil,
                      settings: [String: String] = [:]) async throws -> APIHarness {
        let database = try await TestDatabase.cloned(template: "migrated") { try await Migrator().migrate($0) }
        // Cheap password hashes, the uploads folder, and domain verification
        // asking the loopback DNS server of the tests.
        var environment = ["DATABASE_URL": database.url, "HERALD_PORT": "0",
                           "HERALD_OUTBOUND_ALLOW": "127.0.0.0/8,::1/128", "HERALD_PASSWORD_HASH_COST": "test",
                           "HERALD_DATA_DIR": media.root, "HERALD_DNS_RESOLVER": "127.0.0.1:\(TestDNSServer.shared.port)",
                           "HERALD_DATABASE_CONNECT_TIMEOUT": String(TestDatabase.connectTimeout)]
        environment.merge(settings) { $1 }
        environment["HERALD_MASTER_KEY"] = MasterKey.generateHex()
        let jwtSecret = Hex.encode(SecureRandom.bytes(32))
        environment["HERALD_JWT_SECRET"] = jwtSecret
        let configuration = try Configuration(environment: environment)
        let secrets = try configuration.requireSecrets()
        let services = Services(configuration: configuration, databaseURL: database.url, masterKey: secrets.masterKey,
                                jwtSecret: jwtSecret, poolSize: poolSize,
                                logger: Logger(label: "test", level: logLevel, sink: logSink ?? Logger.standardError))
        let server = try APIServer.start(services: services, port: 0)
        return APIHarness(database: database, services: services, server: server, jwtSecret: jwtSecret,
                          contract: try OpenAPIContract.load())
    }

    private init(database: TestDatabase, services: Services, server: APIServer, jwtSecret: String,
                 contract: OpenAPIContract) {
        self.database = database
        self.services = services
        self.server = server
        self.jwtSecret = jwtSecret
        self.contract = contract
    }

    func stop() async {
        await server.shutdown()
        services.pool.close()
        try? await database.drop()
    }

    /// Runs `body` against a fresh harness and always stops it.
    static func with<T: Sendable>(logLevel: Logger.Level = .warning, logSink: (@Sendable (String) -> Void)? = nil,
                                  settings: [String: String] = [:],
                                  _ body: (APIHarness) async throws -> T) async throws -> T {
        let harness = try await start(logLevel: logLevel, logSink: logSink, settings: settings)
        do {
            let result = try await body(harness)
            await harness.stop()
            return result
        } catch {
            await harness.stop()
            throw error
        }
    }
}

enum Credential: Sendable {
    case bearer(String, userId: String)
    case keys(public: String, secret: String)

    var headers: [(String, String)] {
        switch self {
        case .bearer(let token, _): return [("Authorization", "Bearer \(token)")]
        case .keys(let publicKey, let secretKey):
            return [("x-protocol-public-key", publicKey), ("x-protocol-secret-key", secretKey)]
        }
    }
}

struct TestTenant: Sendable {
    let id: String
    let keys: Credential
}

extension TestHTTPClient.Response {
    func json() throws -> JSONValue { try JSONParser.parse(body) }
}

