import Foundation
import JSON
import Mustache

/// `herald render`: renders one template and writes only the result to stdout.
///
///     herald render --json < request.json
///     herald render FILE --data DATA.json [--partials DIR] [--escape html|none]
///
/// The JSON request is `{"template": "...", "data": {...}, "partials": {"name": "..."},
/// "escape": "html"|"none"}`; only `template` is required. In a partials folder,
/// `NAME.mustache` is partial NAME. Exit status: 64 usage, 65 a template, data
/// or request error (`line:column: message` on stderr), 66 an unreadable file.
public enum RenderCommand {
    static let usage = """
        usage: herald render --json < REQUEST.json
               herald render FILE --data DATA.json [--partials DIR] [--escape html|none]
        """

    public static func run(_ arguments: [String]) -> Int32 {
        do {
            let options = try CommandOptions(arguments, valued: ["--data", "--partials", "--escape"], flags: ["--json"])
            let job: RenderJob
            if options.flags.contains("--json") {
                guard options.positional.isEmpty, options.values.isEmpty else { throw CommandFailure.usage(usage) }
                job = try RenderJob(request: FileHandle.standardInput.readDataToEndOfFile())
            } else {
                guard options.positional.count == 1, let dataPath = options.values["--data"] else {
                    throw CommandFailure.usage(usage)
                }
                job = try RenderJob(
                    templatePath: options.positional[0], dataPath: dataPath,
                    partialsDirectory: options.values["--partials"], escape: options.values["--escape"])
            }
            let rendering = try job.template.render(job.data, partials: job.partials, options: job.options)
            FileHandle.standardOutput.write(Data(rendering.output.utf8))
            return 0
        } catch {
            return error.report()
        }
    }
}

/// A template with its data and partials, ready to render.
struct RenderJob {
    var template: MustacheTemplate
    var data: JSONValue
    var partials: MustachePartials
    var options: MustacheRenderOptions

    /// From the `--json` request document.
    init(request: Data) throws(CommandFailure) {
        let document: JSONValue
        do { document = try JSONValue(parsing: Array(request)) } catch { throw .data("invalid request: \(error)") }
        guard case .object(let request) = document else { throw .data("invalid request: expected a JSON object") }
        guard case .string(let source)? = request["template"] else {
            throw .data("invalid request: \"template\" must be a string")
        }
        var sources: [String: String] = [:]
        switch request["partials"] {
        case nil, .null?:
            break
        case .object(let partials)?:
            for (name, value) in partials {
                guard case .string(let partial) = value else { throw .data("invalid request: partial \"\(name)\" must be a string") }
                sources[name] = partial
            }
        default:
            throw .data("invalid request: \"partials\" must be an object of strings")
        }
        let escape: String?
        switch request["escape"] {
        case nil, .null?: escape = nil
        case .string(let value)? where value == "html" || value == "none": escape = value
        default: throw .data("invalid request: \"escape\" must be \"html\" or \"none\"")
        }
        try self.init(source: source, data: request["data"] ?? .object([:]), partialSources: sources, escape: escape)
    }

    /// From files: a template, a JSON data file and a folder of `NAME.mustache` partials.
    init(templatePath: String, dataPath: String, partialsDirectory: String?, escape: String?) throws(CommandFailure) {
        let source = try Self.readText(templatePath)
        let dataBytes = try Self.readBytes(dataPath)
        let data: JSONValue
        do { data = try JSONValue(parsing: dataBytes) } catch { throw .data("\(dataPath): \(error)") }
        var sources: [String: String] = [:]
        if let partialsDirectory {
            let files: [String]
            do { files = try FileManager.default.contentsOfDirectory(atPath: partialsDirectory) } catch {
                throw .noInput("cannot read \(partialsDirectory)")
            }
            for file in files.sorted() where file.hasSuffix(".mustache") {
                let name = String(file.dropLast(".mustache".count))
                sources[name] = try Self.readText((partialsDirectory as NSString).appendingPathComponent(file))
            }
        }
        try self.init(source: source, data: data, partialSources: sources, escape: escape)
    }

    private init(source: String, data: JSONValue, partialSources: [String: String], escape: String?) throws(CommandFailure) {
        switch escape {
        case nil, "html": options = MustacheRenderOptions(escaping: .html)
        case "none": options = MustacheRenderOptions(escaping: .none)
        case let other?: throw .usage("herald: unknown escape mode \"\(other)\"; use html or none")
        }
        do {
            template = try MustacheTemplate(source)
            partials = try MustachePartials(sources: partialSources)
        } catch {
            throw .template(error)
        }
        self.data = data
    }

    static func readBytes(_ path: String) throws(CommandFailure) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .noInput("cannot read \(path)") }
        return Array(data)
    }

    static func readText(_ path: String) throws(CommandFailure) -> String {
        let bytes = try readBytes(path)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .data("\(path): not UTF-8 text") }
        return text
    }
}

/// Why a render or bench command stopped, and the exit status that says so.
enum CommandFailure: Error {
    case usage(String)
    case data(String)
    case template(MustacheError)
    case noInput(String)
}

extension Error {
    /// Prints the failure to stderr and answers the exit status (sysexits.h).
    func report() -> Int32 {
        if let error = self as? ConfigurationError {
            printError("herald: \(error.description)")
            return ExitCode.config
        }
        let (message, status): (String, Int32) = switch self as? CommandFailure {
        case .usage(let text)?: (text, 64)
        case .data(let text)?: ("herald: \(text)", 65)
        case .template(let error)?: (error.description, 65)
        case .noInput(let text)?: ("herald: \(text)", 66)
        case nil: ("herald: \(self)", 1)
        }
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return status
    }
}

/// `--name value` options, bare flags and positional arguments.
struct CommandOptions {
    var values: [String: String] = [:]
    var flags: Set<String> = []
    var positional: [String] = []

    init(_ arguments: [String], valued: Set<String>, flags known: Set<String>) throws(CommandFailure) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if valued.contains(argument) {
                guard index + 1 < arguments.count else { throw .usage("herald: \(argument) needs a value") }
                values[argument] = arguments[index + 1]
                index += 2
                continue
            }
            if known.contains(argument) {
                flags.insert(argument)
            } else if argument.hasPrefix("-") && argument != "-" {
                throw .usage("herald: unknown option \(argument)")
            } else {
                positional.append(argument)
            }
            index += 1
        }
    }
}
