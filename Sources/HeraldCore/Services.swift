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
    /// One connection for /readyz and the metrics' queue gauges, with short deadlines.
    public let probePool: PostgresPool
    /// Where the worker LISTENs (`HERALD_LISTEN_DATABASE_URL`, else the pool's URL).
    public let listenURL: String
    public let store: Store
    public let authenticator: Authenticator
    public let logger: Logger
    public let migrator = Migrator()
    public let metrics: MetricsRegistry
    /// The built-in templates every new tenant gets a copy of.
    public let builtInTemplates: [Store.TemplateSeed]

    public init(configuration: Configuration, databaseURL: String, masterKey: MasterKey, jwtSecret: String,
                poolSize: Int, logger: Logger) {
        self.configuration = configuration
        let metrics = MetricsRegistry()
        self.metrics = metrics
        var session = configuration.databaseSession
        session.onSharedSession = { advice in
            logger.warning("prepared statements met another client's server session", ("advice", .string(advice)))
            metrics.increment("herald_db_shared_session_total")
        }
        self.pool = PostgresPool(configuration: .init(url: databaseURL, size: poolSize,
                                                      pipelineSenders: configuration.apiPipelineSenders, session: session))
        // Probes and metrics get a connection and deadline of their own, so
        // they answer within seconds when the database is unreachable instead
        // of queueing behind requests in the main pool.
        var probeSession = session
        probeSession.queryTimeout = .milliseconds(1500)
        probeSession.connectTimeout = 2
        self.probePool = PostgresPool(configuration: .init(url: databaseURL, size: 1, acquireTimeout: .milliseconds(500),
                                                           pipelineSenders: 1, session: probeSession))
        self.listenURL = configuration.listenURL(databaseURL: databaseURL)
        var store = Store(pool: pool, keyring: Keyring(masterKey: masterKey))
        store.rateLimits = configuration.rateLimits
        self.store = store
        self.authenticator = Authenticator(store: store, jwtSecret: jwtSecret)
        self.logger = logger
        self.builtInTemplates = Self.loadBuiltInTemplates(logger: logger)
        metrics.register("herald_db_shared_session_total", .counter,
                         help: "Times prepared statements met a server session shared with other clients (set HERALD_DATABASE_POOL_MODE=transaction)")
        Self.registerMetrics(metrics, pools: [("main", pool)], probe: probePool)
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

    /// Ready when the database answers and every migration has been applied,
    /// within 2 s: the probe's own connection has a 1.5 s query deadline and a
    /// 2 s connect timeout, and an answer later than 2 s counts as not ready.
    public func isReady() async -> Bool {
        let (migrator, probePool) = (migrator, probePool)
        let version = await firstWithin(.seconds(2), otherwise: nil) {
            try? await migrator.currentVersion(probePool)
        }
        guard let version else { return false }
        return version >= migrator.latestVersion
    }

    /// Closes both pools (idle connections at once, busy ones when their caller finishes).
    public func close() {
        pool.close()
        probePool.close()
    }

    public func apiContext() -> APIContext {
        let seeds = builtInTemplates
        return APIContext(store: store, authenticator: authenticator, logger: logger.with(("component", "api")),
                          publicURL: configuration.publicURL, readiness: { await self.isReady() },
                          tenantSeed: { connection, tenantId in
                              try Store.seedTemplates(connection, tenantId: tenantId, seeds: seeds)
                          }, metrics: metrics)
    }
}
