import Delivery
import Foundation
import HTTP
import Logging
import Store
import Worker

/// `herald worker`: the delivery daemon. Sends until SIGTERM or SIGINT, then
/// stops claiming, lets the sends in flight finish (HERALD_SHUTDOWN_SECONDS),
/// hands back what never started and exits 0.
enum WorkerCommand {
    static func run(_ arguments: [String]) async throws -> Int32 {
        let configuration = try Configuration()
        let secrets = try configuration.requireSecrets()
        let workerConfiguration = configuration.workerConfiguration()
        let logger = Logger(label: "herald", level: configuration.logLevel)
        let services = Services(configuration: configuration, databaseURL: try configuration.requireDatabaseURL(),
                                masterKey: secrets.masterKey, jwtSecret: secrets.jwtSecret,
                                poolSize: configuration.workerPoolSize, logger: logger)
        defer { services.close() }
        let version = try await services.migrator.currentVersion(services.pool)
        guard version >= services.migrator.latestVersion else {
            throw ConfigurationError("the database schema is at version \(version), not \(services.migrator.latestVersion): run `herald migrate` first")
        }

        await services.sealLegacyChannelSecrets()
        let delivery = try DeliveryProviders(configuration: configuration, outbox: nil)
        let worker = services.makeWorker(configuration: workerConfiguration, providers: delivery.lookup)
        let metricsServer: HTTPServer?
        if let port = configuration.worker.metricsPort {
            metricsServer = try services.startMetricsServer(port: port)
        } else {
            metricsServer = nil
        }
        defer { metricsServer?.shutdown() }
        let running = Task { await worker.run() }
        let signal = await Signals.waitForTermination()
        logger.info("shutting down", ("component", "worker"), ("signal", .int(Int(signal))))
        worker.shutdown()
        await running.value
        await delivery.shutdown()
        return 0
    }
}

/// The providers a worker sends through, built from the server's settings:
/// one SMTP connection pool and HTTP session shared by every send.
struct DeliveryProviders: Sendable {
    let registry: ProviderRegistry
    let smtpPool: SMTPConnectionPool

    /// - Parameter outbox: where `email_pxyz`/`sms_pxyz` write files when no
    ///   server is configured (`herald dev`); nil in production.
    init(configuration: Configuration, outbox: URL?) throws {
        var relay: RelayURL?
        if let text = configuration.smtpURL {
            do { relay = try RelayURL(text) } catch { throw ConfigurationError("\(error)") }
        }
        var sms: URL?
        if let text = configuration.smsURL {
            guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https" else {
                throw ConfigurationError("HERALD_SMS_URL must be an http:// or https:// URL")
            }
            sms = url
        }
        var channelTLS = TLSConfiguration.system
        if let path = configuration.smtpCAFile {
            // Loaded once, here: a file without certificates stops the start.
            channelTLS = TLSConfiguration(trust: .systemAnd(caFile: path))
            do { try channelTLS.preload() } catch {
                throw ConfigurationError("HERALD_SMTP_CA_FILE: \(path) holds no usable CA certificates (\(error))")
            }
        }
        smtpPool = SMTPConnectionPool()
        registry = ProviderRegistry(smtpPool: smtpPool, relayURL: relay, smsURL: sms, outbox: outbox,
                                    outbound: configuration.outbound, channelTLS: channelTLS,
                                    eventsBaseURL: configuration.publicURLIsSet ? configuration.publicURL : nil)
    }

    var lookup: @Sendable (String) -> (any NotificationProvider)? {
        let registry = registry
        return { registry.provider(named: $0) }
    }

    func shutdown() async { await smtpPool.shutdown() }
}
