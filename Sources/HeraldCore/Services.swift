import API
import Crypto
import Foundation
import Logging
import Postgres
import Store

/// The long-lived parts a running Herald shares: pool, store, authenticator.
public struct Services: Sendable {
    public let configuration: Configuration
    public let pool: PostgresPool
    public let store: Store
    public let authenticator: Authenticator
    public let logger: Logger
    public let migrator = Migrator()

    public init(configuration: Configuration, databaseURL: String, masterKey: MasterKey, jwtSecret: String,
                poolSize: Int, logger: Logger) {
        self.configuration = configuration
        self.pool = PostgresPool(url: databaseURL, size: poolSize)
        self.store = Store(pool: pool, keyring: Keyring(masterKey: masterKey))
        self.authenticator = Authenticator(store: store, jwtSecret: jwtSecret)
        self.logger = logger
    }

    /// Ready when the database answers and every migration has been applied.
    public func isReady() async -> Bool {
        guard let version = try? await migrator.currentVersion(pool) else { return false }
        return version >= migrator.latestVersion
    }

    public func apiContext() -> APIContext {
        APIContext(store: store, authenticator: authenticator, logger: logger.with(("component", "api")),
                   publicURL: configuration.publicURL, readiness: { await self.isReady() })
    }
}
