import Foundation
import Rendering

/// `herald templates pull|push --dir D`: argument parsing and printing around
/// `TemplateSync`. Exit status: 0 done, 1 problems (nothing pushed when the
/// check failed), 64 usage, 78 no keys.
public enum TemplatesSyncCommand {
    static let usage = """
        usage: herald templates pull --dir DIR [--url URL] [--tenant ID]
               herald templates push --dir DIR [--url URL] [--tenant ID] [--dry-run] [--draft] [--prune]
          URL defaults to http://127.0.0.1:4000; keys come from HERALD_PUBLIC_KEY and HERALD_SECRET_KEY
          (or PXYZ_PUBLIC_KEY and PXYZ_SECRET_KEY); the tenant is the keys' (HERALD_TENANT_ID or --tenant to name it)
        """
    public static let defaultURL = "http://127.0.0.1:4000"

    struct Arguments {
        var command: String
        var directory: String?
        var url = TemplatesSyncCommand.defaultURL
        var tenantId: String?
        var options = TemplateSync.PushOptions()
    }

    public static func run(_ arguments: [String],
                           environment: [String: String] = Configuration.processEnvironment) async -> Int32 {
        let parsed: Arguments
        switch parse(arguments, environment: environment) {
        case .success(let value): parsed = value
        case .failure(let message):
            printError("herald: \(message)\n\(usage)")
            return ExitCode.usage
        }
        guard let directory = parsed.directory else {
            printError("herald: templates \(parsed.command) needs --dir\n\(usage)")
            return ExitCode.usage
        }
        guard let credentials = TenantCredentials(environment: environment) else {
            printError("herald: set HERALD_PUBLIC_KEY and HERALD_SECRET_KEY (or PXYZ_PUBLIC_KEY and PXYZ_SECRET_KEY) "
                + "to the tenant's key pair (GET /auth/tenants/{id}/env answers them)")
            return ExitCode.config
        }
        guard let url = URL(string: parsed.url), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            printError("herald: --url: '\(parsed.url)' is not an http(s) URL")
            return ExitCode.usage
        }
        let client = HeraldAPIClient(baseURL: url, credentials: credentials)
        do {
            let tenantId: String
            if let given = parsed.tenantId { tenantId = given } else { tenantId = try await TemplateSync.tenantId(of: client) }
            let sync = TemplateSync(client: client, tenantId: tenantId, directory: directory)
            let report = parsed.command == "pull" ? try await sync.pull() : try await sync.push(parsed.options)
            for warning in report.warnings { printError("warning: \(warning)") }
            for problem in report.problems { printError(problem) }
            for line in report.lines { printOut(line) }
            return report.succeeded ? 0 : ExitCode.failure
        } catch {
            printError("herald: \(error)")
            return ExitCode.failure
        }
    }

    static func parse(_ arguments: [String], environment: [String: String]) -> Result<Arguments, UsageError> {
        guard let command = arguments.first, command == "pull" || command == "push" else {
            return .failure(UsageError("templates pull or templates push"))
        }
        var parsed = Arguments(command: command)
        parsed.tenantId = environment["HERALD_TENANT_ID"].flatMap { $0.isEmpty ? nil : $0 }
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            switch argument {
            case "--dir", "--url", "--tenant":
                guard let value = rest.popFirst() else { return .failure(UsageError("\(argument) needs a value")) }
                if argument == "--dir" { parsed.directory = value }
                if argument == "--url" { parsed.url = value }
                if argument == "--tenant" { parsed.tenantId = value }
            case "--dry-run" where command == "push": parsed.options.dryRun = true
            case "--draft" where command == "push": parsed.options.draft = true
            case "--prune" where command == "push": parsed.options.prune = true
            default:
                return .failure(UsageError("unknown argument '\(argument)' for templates \(command)"))
            }
        }
        return .success(parsed)
    }

    struct UsageError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
