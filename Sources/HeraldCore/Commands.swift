import API
import Crypto
import Foundation
import Logging
import Postgres
import Store

/// `herald migrate`: applies what is missing and prints each migration.
enum MigrateCommand {
    static func run(_ arguments: [String]) async throws -> Int32 {
        let configuration = try Configuration()
        let pool = PostgresPool(url: try configuration.requireDatabaseURL(), size: 1)
        defer { pool.close() }
        let applied = try await Migrator().migrate(pool) { migration in
            printOut("applied \(String(format: "%04d", migration.version))_\(migration.name)")
        }
        if applied.isEmpty { printOut("database is up to date") }
        return 0
    }
}

/// `herald token create --email E`: prints only the token, for scripts.
enum TokenCommand {
    static func run(_ arguments: [String]) async throws -> Int32 {
        guard arguments.first == "create", let email = CLI.option("--email", in: arguments) else {
            printError("usage: herald token create --email EMAIL")
            return ExitCode.usage
        }
        guard email.contains("@"), !email.contains(where: { $0.isWhitespace }) else {
            printError("herald: '\(email)' is not an email address")
            return ExitCode.usage
        }
        let configuration = try Configuration()
        let secrets = try configuration.requireSecrets()
        let services = Services(configuration: configuration, databaseURL: try configuration.requireDatabaseURL(),
                                masterKey: secrets.masterKey, jwtSecret: secrets.jwtSecret, poolSize: 1,
                                logger: Logger(label: "herald", level: configuration.logLevel))
        defer { services.close() }
        let userId = try await services.store.ensurePlatformUser(email: email)
        printOut(Authenticator.issueToken(platformUserId: userId, email: email, secret: secrets.jwtSecret))
        return 0
    }
}

/// `herald serve`: the HTTP API until SIGTERM or SIGINT, then a graceful stop.
enum ServeCommand {
    static func run(_ arguments: [String]) async throws -> Int32 {
        let configuration = try Configuration()
        let secrets = try configuration.requireSecrets()
        let logger = Logger(label: "herald", level: configuration.logLevel)
        let services = Services(configuration: configuration, databaseURL: try configuration.requireDatabaseURL(),
                                masterKey: secrets.masterKey, jwtSecret: secrets.jwtSecret,
                                poolSize: configuration.apiPoolSize, logger: logger)
        defer { services.close() }
        let server = try APIServer.start(services: services)
        logger.info("listening", ("address", .string("\(configuration.host):\(server.port)")))
        let signal = await Signals.waitForTermination()
        logger.info("shutting down", ("signal", .int(Int(signal))))
        await server.shutdown()
        logger.info("stopped")
        return 0
    }
}
