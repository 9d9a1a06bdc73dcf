import Crypto
import Delivery
import Foundation
import Logging
import Postgres
import Store

/// Herald's settings, all from the environment (listed in README). The one
/// place Herald reads its environment: commands build one at start-up and
/// hand the values down; no module below reads a variable itself.
public struct Configuration: Sendable {
    public var databaseURL: String?
    /// The connection LISTEN uses (`HERALD_LISTEN_DATABASE_URL`, default
    /// `DATABASE_URL`): direct or session-pooled, since a transaction-mode
    /// pooler drops notifications.
    public var listenDatabaseURL: String?
    /// Pool mode (`HERALD_DATABASE_POOL_MODE`: session or transaction), the
    /// client-side deadline of each query (`HERALD_DATABASE_QUERY_TIMEOUT_MS`,
    /// default 5000) and the connect timeout (`HERALD_DATABASE_CONNECT_TIMEOUT`,
    /// seconds, default 5) of every pooled connection.
    public var databaseSession: PostgresSessionOptions
    public var host: String
    public var port: Int
    public var masterKeyHex: String?
    public var jwtSecret: String?
    public var publicURL: String
    /// Whether `HERALD_PUBLIC_URL` was set (not derived from host and port):
    /// only then do providers get callback URLs (Twilio's StatusCallback).
    public var publicURLIsSet: Bool
    public var logLevel: Logger.Level
    /// Connections the API's pool may open.
    public var apiPoolSize: Int
    /// Connections the worker's pool may open.
    public var workerPoolSize: Int
    /// Of the API's connections, how many may send pipelined reads at once
    /// (`HERALD_API_PIPELINE_SENDERS`; nil: one per processor, at least 2).
    public var apiPipelineSenders: Int?
    /// Run request handlers on the HTTP loop threads (`HERALD_HTTP_HANDLERS_ON_LOOP`, default on).
    public var handlersOnEventLoop: Bool
    public var smtpURL: String?
    public var smsURL: String?
    /// How often codes and invitations may go to one address and from one
    /// tenant (`HERALD_RATE_LIMIT_*`; 0 turns a limit off).
    public var rateLimits: RateLimits
    /// Where tenants' channels may connect beyond the public internet
    /// (`HERALD_OUTBOUND_ALLOW`, CIDRs; none by default).
    public var outbound: OutboundPolicy
    /// CA certificates trusted, besides the system store, for tenants' SMTP
    /// servers (`HERALD_SMTP_CA_FILE`): the operator's, since tenants
    /// cannot name files on the server.
    public var smtpCAFile: String?
    /// `HERALD_WORKER_*`, `HERALD_SHUTDOWN_SECONDS`, `HERALD_RETENTION_DAYS`, `HERALD_WORKER_METRICS_PORT`.
    public var worker: WorkerSettings
    /// Folders, binaries, the DNS resolver and the password hash cost.
    public var local: LocalSettings
    /// What the settings were read from, for `addingDefaults`.
    private let environment: [String: String]

    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 4000

    /// The process's environment. Read here only: `init()` takes it, and
    /// `templates pull/push` reads its tenant keys from it.
    public static var processEnvironment: [String: String] { ProcessInfo.processInfo.environment }

    public init(environment: [String: String] = Configuration.processEnvironment) throws {
        self.environment = environment
        let reader = SettingsReader(environment: environment)
        let nonEmpty = reader.text
        let integer = reader.integer
        databaseURL = nonEmpty("DATABASE_URL")
        listenDatabaseURL = nonEmpty("HERALD_LISTEN_DATABASE_URL")
        var session = PostgresSessionOptions(
            connectTimeout: try integer("HERALD_DATABASE_CONNECT_TIMEOUT", 5, 2...300),
            queryTimeout: try reader.milliseconds("HERALD_DATABASE_QUERY_TIMEOUT_MS", 100...3_600_000) ?? .milliseconds(5000))
        if let mode = nonEmpty("HERALD_DATABASE_POOL_MODE") {
            guard let parsed = PostgresSessionOptions.PoolMode(rawValue: mode.lowercased()) else {
                throw ConfigurationError("HERALD_DATABASE_POOL_MODE must be session or transaction")
            }
            session.poolMode = parsed
        }
        databaseSession = session
        host = nonEmpty("HERALD_HOST") ?? Self.defaultHost
        port = try integer("HERALD_PORT", Self.defaultPort, 0...65535)
        masterKeyHex = nonEmpty("HERALD_MASTER_KEY")
        jwtSecret = nonEmpty("HERALD_JWT_SECRET")
        logLevel = .info
        if let level = nonEmpty("HERALD_LOG_LEVEL") {
            guard let parsed = Logger.Level(name: level) else {
                throw ConfigurationError("HERALD_LOG_LEVEL must be debug, info, warning or error")
            }
            logLevel = parsed
        }
        apiPoolSize = try integer("HERALD_API_POOL_SIZE", 8, 1...500)
        workerPoolSize = try integer("HERALD_WORKER_POOL_SIZE", 4, 1...500)
        apiPipelineSenders = nonEmpty("HERALD_API_PIPELINE_SENDERS") == nil ? nil
            : try integer("HERALD_API_PIPELINE_SENDERS", 2, 1...500)
        handlersOnEventLoop = nonEmpty("HERALD_HTTP_HANDLERS_ON_LOOP").map { !["0", "false", "no"].contains($0.lowercased()) } ?? true
        let standard = RateLimits.standard
        rateLimits = RateLimits(
            addressIntervalSeconds: try integer("HERALD_RATE_LIMIT_ADDRESS_INTERVAL_SECONDS", standard.addressIntervalSeconds, 0...3600),
            addressPerHour: try integer("HERALD_RATE_LIMIT_ADDRESS_PER_HOUR", standard.addressPerHour, 0...100_000),
            tenantPerHour: try integer("HERALD_RATE_LIMIT_TENANT_PER_HOUR", standard.tenantPerHour, 0...10_000_000))
        smtpURL = nonEmpty("HERALD_SMTP_URL")
        smsURL = nonEmpty("HERALD_SMS_URL")
        do {
            outbound = try OutboundPolicy(parsing: nonEmpty("HERALD_OUTBOUND_ALLOW") ?? "")
        } catch {
            throw ConfigurationError("\(error)")
        }
        smtpCAFile = nonEmpty("HERALD_SMTP_CA_FILE")
        if let path = smtpCAFile, !FileManager.default.isReadableFile(atPath: path) {
            throw ConfigurationError("HERALD_SMTP_CA_FILE: cannot read \(path)")
        }
        worker = try WorkerSettings(reader)
        local = LocalSettings(reader)
        publicURLIsSet = nonEmpty("HERALD_PUBLIC_URL") != nil
        publicURL = nonEmpty("HERALD_PUBLIC_URL") ?? "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)"
        while publicURL.hasSuffix("/") { publicURL.removeLast() }
    }

    /// These settings with `defaults` for the variables the environment leaves
    /// unset or empty (`herald dev`'s generated secrets and its own PostgreSQL).
    public func addingDefaults(_ defaults: [String: String]) throws -> Configuration {
        let given = environment.filter { !$0.value.trimmingCharacters(in: .whitespaces).isEmpty }
        return try Configuration(environment: defaults.merging(given) { _, fromEnvironment in fromEnvironment })
    }

    /// The two secrets `serve` cannot run without, checked with a clear message.
    public func requireSecrets() throws -> (masterKey: MasterKey, jwtSecret: String) {
        guard let hex = masterKeyHex else {
            throw ConfigurationError("HERALD_MASTER_KEY is not set: it must be 32 bytes as 64 hex digits (for example: openssl rand -hex 32)")
        }
        let masterKey: MasterKey
        do {
            masterKey = try MasterKey(hex: hex)
        } catch {
            throw ConfigurationError("HERALD_MASTER_KEY must be 32 bytes as 64 hex digits (for example: openssl rand -hex 32)")
        }
        guard let jwtSecret, jwtSecret.utf8.count >= 32 else {
            throw ConfigurationError("HERALD_JWT_SECRET is not set or shorter than 32 characters (for example: openssl rand -hex 32)")
        }
        return (masterKey, jwtSecret)
    }

    /// Where LISTEN connects: `HERALD_LISTEN_DATABASE_URL`, else the database URL.
    public func listenURL(databaseURL: String) -> String { listenDatabaseURL ?? databaseURL }

    public func requireDatabaseURL() throws -> String {
        guard let databaseURL else { throw ConfigurationError("DATABASE_URL is not set (or run `herald dev`, which starts its own PostgreSQL)") }
        return databaseURL
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
