import API
import Crypto
import Foundation
import Logging
import Metrics
import Postgres
import Rendering
import Store

/// The long-lived parts a running Herald shares: pool, store, authenticator.
public struct Services: Sendable {
    public let configuration: Configuration
    public let pool: PostgresPool
    public let store: Store
    public let authenticator: Authenticator
    public let logger: Logger
    public let migrator = Migrator()
    public let metrics = MetricsRegistry()
    /// The built-in templates every new tenant gets a copy of.
    public let builtInTemplates: [Store.TemplateSeed]

    public init(configuration: Configuration, databaseURL: String, masterKey: MasterKey, jwtSecret: String,
                poolSize: Int, logger: Logger) {
        self.configuration = configuration
        self.pool = PostgresPool(configuration: .init(url: databaseURL, size: poolSize,
                                                      pipelineSenders: configuration.apiPipelineSenders))
        var store = Store(pool: pool, keyring: Keyring(masterKey: masterKey))
        store.rateLimits = configuration.rateLimits
        self.store = store
        self.authenticator = Authenticator(store: store, jwtSecret: jwtSecret)
        self.logger = logger
        self.builtInTemplates = Self.loadBuiltInTemplates(logger: logger)
        Self.registerMetrics(metrics, pools: [("main", pool)])
    }

    static func loadBuiltInTemplates(logger: Logger) -> [Store.TemplateSeed] {
        guard let directory = TemplateLibrary.defaultDirectory() else {
            logger.warning("no templates/ folder found (set HERALD_TEMPLATES_DIR): new tenants get no built-in templates")
            return []
        }
        do {
            let samples = TemplateLibrary.samples(directory: directory)
            return try TemplateLibrary.load(directory: directory).map {
                Store.TemplateSeed(name: $0.name, type: $0.type.rawValue, subject: $0.subject, body: $0.body.jsonString,
                                   sample: (samples["\($0.name)/\($0.type.rawValue)"] ?? samples[$0.name])
                                       .map { TemplateLibrary.tenantSample($0).jsonString })
            }
        } catch {
            logger.error("cannot load the built-in templates", ("directory", .string(directory)),
                         ("error", .string(String(describing: error))))
            return []
        }
    }

    /// Ready when the database answers and every migration has been applied.
    public func isReady() async -> Bool {
        guard let version = try? await migrator.currentVersion(pool) else { return false }
        return version >= migrator.latestVersion
    }

    public func apiContext() -> APIContext {
        APIContext(store: store, authenticator: authenticator, logger: logger.with(("component", "api")),
                   publicURL: configuration.publicURL, readiness: { await self.isReady() },
                   tenantSeed: builtInTemplates, metrics: metrics)
    }
}
