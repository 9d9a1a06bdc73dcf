import Foundation

/// `herald <command>`: dispatches to the command and answers the exit status.
public enum CLI {
    public static let version = "0.1.0"

    public static let usage = """
        herald \(version): notifications and templates for the pxyz Backend API

        Usage: herald <command> [options]

        Commands:
          serve                    Run the HTTP API (needs DATABASE_URL, HERALD_MASTER_KEY, HERALD_JWT_SECRET)
          worker                   Run the delivery worker
          migrate                  Apply database migrations, printing each one
          token create --email E   Mint a platform bearer token (creates the user if needed)
          dev                      Run API and worker with a private PostgreSQL and a demo tenant
          templates check [--dir D] Compile and render every built-in template, checking SMS lengths
          templates pull --dir D   Write a tenant's templates into D as files (keys from the environment)
          templates push --dir D [--dry-run] [--draft] [--prune]  Check D, then publish (or draft) what changed
          render --json            Render {"template","data","partials","escape"} read from stdin
          render FILE --data F [--partials DIR]
          bench render --template F --data F [--partials DIR] --iterations N
          bench queue [--rows N] [--seconds S] [--latency-samples N]
          bench fan-out [--clients N]  Fan out the pending bulk batches as workers do, timed
          --help, --version

        Environment: DATABASE_URL, HERALD_HOST (127.0.0.1), HERALD_PORT (4000), HERALD_MASTER_KEY,
          HERALD_JWT_SECRET, HERALD_PUBLIC_URL, HERALD_LOG_LEVEL (info), HERALD_API_POOL_SIZE (8),
          HERALD_API_PIPELINE_SENDERS (processors), HERALD_WORKER_POOL_SIZE (4), HERALD_SMTP_URL, HERALD_SMS_URL,
          HERALD_OUTBOUND_ALLOW (none; dev: loopback), HERALD_SMTP_CA_FILE;
          templates pull/push: HERALD_PUBLIC_KEY and HERALD_SECRET_KEY (or PXYZ_…), HERALD_TENANT_ID
        """

    public static func main(_ arguments: [String]) async -> Int32 {
        guard let command = arguments.first else {
            printError(usage)
            return ExitCode.usage
        }
        let rest = Array(arguments.dropFirst())
        do {
            switch command {
            case "--help", "-h", "help":
                printOut(usage)
                return 0
            case "--version", "version":
                printOut(version)
                return 0
            case "serve": return try await ServeCommand.run(rest)
            case "worker": return try await WorkerCommand.run(rest)
            case "migrate": return try await MigrateCommand.run(rest)
            case "token": return try await TokenCommand.run(rest)
            case "dev": return try await DevCommand.run(rest)
            case "render": return RenderCommand.run(rest)
            case "templates": return await TemplatesCommand.run(rest)
            case "bench":
                if rest.first == "queue" { return await BenchQueueCommand.run(Array(rest.dropFirst())) }
                if rest.first == "fan-out" { return await BenchFanOutCommand.run(Array(rest.dropFirst())) }
                guard rest.first == "render" else {
                    printError("usage: herald bench render … | herald bench queue … | herald bench fan-out …")
                    return ExitCode.usage
                }
                return BenchRenderCommand.run(Array(rest.dropFirst()))
            default:
                printError("herald: unknown command '\(command)'\n\n\(usage)")
                return ExitCode.usage
            }
        } catch let error as ConfigurationError {
            printError("herald: \(error.description)")
            return ExitCode.config
        } catch {
            printError("herald: \(error)")
            return ExitCode.failure
        }
    }

    /// Options of the form `--name value`; answers nil when absent.
    static func option(_ name: String, in arguments: [String]) -> String? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }
}

/// sysexits.h values, so scripts can tell usage from configuration from failure.
enum ExitCode {
    static let failure: Int32 = 1
    static let usage: Int32 = 64
    static let config: Int32 = 78
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Writes straight to standard output, unbuffered, so banners show at once
/// and `herald token create | …` pipes cleanly.
func printOut(_ message: String) {
    FileHandle.standardOutput.write(Data((message + "\n").utf8))
}
