import Foundation
import Rendering

/// `herald templates check [--dir DIR]`: compiles and renders every built-in
/// template with `sample-data.json`, printing each with its SMS lengths and
/// the problems on stderr. Exit status: 0 clean, 1 problems, 64 usage.
/// `pull` and `push` are in TemplatesSyncCommand.
public enum TemplatesCommand {
    static let usage = """
        usage: herald templates check [--dir DIR]
          DIR defaults to HERALD_TEMPLATES_DIR, ./templates, or the templates folder of the checkout
        \(TemplatesSyncCommand.usage)
        """

    public static func run(_ arguments: [String]) async -> Int32 {
        if let first = arguments.first, first == "pull" || first == "push" {
            return await TemplatesSyncCommand.run(arguments)
        }
        guard arguments.first == "check" else {
            if let first = arguments.first, ["--help", "-h", "help"].contains(first) {
                printOut(usage)
                return 0
            }
            printError(usage)
            return ExitCode.usage
        }
        var directory: String?
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            switch argument {
            case "--dir":
                guard let value = rest.popFirst() else {
                    printError("herald: --dir needs a value\n\(usage)")
                    return ExitCode.usage
                }
                directory = value
            case "--help", "-h":
                printOut(usage)
                return 0
            default:
                printError("herald: unknown argument '\(argument)'\n\(usage)")
                return ExitCode.usage
            }
        }
        let local: Configuration.LocalSettings
        do { local = try Configuration().local } catch {
            printError("herald: \(error)")
            return ExitCode.config
        }
        guard let directory = directory ?? TemplateLibrary.defaultDirectory(configured: local.templatesDirectory,
                                                                            searchPath: local.searchPath) else {
            printError("herald: no templates folder found; pass --dir or set HERALD_TEMPLATES_DIR")
            return ExitCode.failure
        }
        return check(directory)
    }

    private static func check(_ directory: String) -> Int32 {
        let report = TemplateLibrary.checkReport(directory: directory)
        let width = report.entries.map { $0.name.count + $0.type.rawValue.count + 1 }.max() ?? 0
        for entry in report.entries {
            let label = "\(entry.name)/\(entry.type.rawValue)"
            let padded = label.padding(toLength: width + 2, withPad: " ", startingAt: 0)
            let details = entry.smsLengths.isEmpty
                ? entry.locales.joined(separator: ", ")
                : entry.smsLengths.map(describe).joined(separator: ", ")
            printOut(padded + details)
        }
        for problem in report.problems { printError(problem) }
        let count = report.problems.count
        printOut("\(report.entries.count) templates in \(directory): "
            + (count == 0 ? "ok" : "\(count) problem\(count == 1 ? "" : "s")"))
        return count == 0 ? 0 : ExitCode.failure
    }

    /// `de 139/160`, or the UCS-2 count when the text is not GSM-7.
    private static func describe(_ length: TemplateCheckReport.SMSLength) -> String {
        if let septets = length.septets { return "\(length.locale) \(septets)/\(TemplateLibrary.maxSMSSeptets)" }
        return "\(length.locale) \(length.characters)/70 (not GSM-7)"
    }
}
