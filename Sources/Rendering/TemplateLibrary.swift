import Foundation
import JSON

/// A built-in template read from the `templates/` folder, ready to copy to a tenant.
public struct TemplateSeed: Sendable, Hashable {
    public var name: String
    public var type: TemplateType
    public var subject: String?
    /// The normalised body document, locales under `locales`.
    public var body: JSONValue

    public init(name: String, type: TemplateType, subject: String?, body: JSONValue) {
        self.name = name
        self.type = type
        self.subject = subject
        self.body = body
    }

    public var document: TemplateDocument { TemplateDocument(type: type, subject: subject, body: body) }
}

/// The library folder could not be read as templates/README.md describes it.
public struct TemplateLibraryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `name/type[/locale]: message`, one per problem.
    public var problems: [String]

    public init(problems: [String]) { self.problems = problems }

    public var description: String { problems.joined(separator: "\n") }
}

/// The built-in templates as files: `<name>/<type>/{subject,html,text}.mustache`,
/// with `<locale>/` folders that override single files.
public enum TemplateLibrary {
    /// Every template in the folder, sorted by name then type.
    public static func load(directory: String) throws(TemplateLibraryError) -> [TemplateSeed] {
        let scan = LibraryScanner(directory: directory).scan()
        guard scan.problems.isEmpty else { throw TemplateLibraryError(problems: scan.problems) }
        return scan.seeds
    }

    /// `configured` (`HERALD_TEMPLATES_DIR`, read by the caller); else
    /// `./templates`; else a `templates` folder beside a `Package.swift` above
    /// the executable (`.build/release/herald`), found by name in `searchPath`
    /// (`PATH`) when run by a bare name.
    public static func defaultDirectory(configured: String? = nil, searchPath: String = "") -> String? {
        let files = FileManager.default
        if let configured, !configured.isEmpty { return configured }
        let local = URL(fileURLWithPath: files.currentDirectoryPath).appendingPathComponent("templates").path
        if isDirectory(local) { return local }
        guard let executable = executablePath(searchPath: searchPath) else { return nil }
        var folder = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        while folder.path != "/" && !folder.path.isEmpty {
            let candidate = folder.appendingPathComponent("templates").path
            if isDirectory(candidate), files.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                return candidate
            }
            folder.deleteLastPathComponent()
        }
        return nil
    }

    /// `CommandLine.arguments[0]` made absolute (searching `searchPath` for a
    /// bare name), else what the kernel says the executable is.
    private static func executablePath(searchPath: String) -> String? {
        let files = FileManager.default
        if let first = CommandLine.arguments.first, !first.isEmpty {
            if first.contains("/") {
                return URL(fileURLWithPath: first, relativeTo: URL(fileURLWithPath: files.currentDirectoryPath)).path
            }
            for folder in searchPath.split(separator: ":") {
                let candidate = "\(folder)/\(first)"
                if files.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return try? files.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
