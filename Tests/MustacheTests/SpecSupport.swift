import Foundation
import JSON

/// One case from the Mustache spec files in the shared spec folder.
struct SpecCase: Sendable, CustomStringConvertible {
    var file: String
    var name: String
    var template: String
    var data: JSONValue
    var partials: [String: String]
    var expected: String

    var description: String { "\(file): \(name)" }
}

enum Spec {
    /// Lambdas need code in the data, which JSON data cannot carry.
    static let files = [
        "comments", "delimiters", "interpolation", "inverted", "partials", "sections", "~inheritance", "~dynamic-names",
    ]

    /// `HERALD_MUSTACHE_SPEC_DIR`, else `../shared/spec/mustache` beside the repository.
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["HERALD_MUSTACHE_SPEC_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repositoryRoot.appendingPathComponent("../shared/spec/mustache").standardizedFileURL
    }

    static func loadCases() throws -> [SpecCase] {
        var cases: [SpecCase] = []
        for file in files {
            let url = directory.appendingPathComponent(file + ".json")
            let document = try JSONValue(parsing: Array(try Data(contentsOf: url)))
            for test in document["tests"]?.arrayValue ?? [] {
                var partials: [String: String] = [:]
                for (name, source) in test["partials"]?.objectValue ?? [:] { partials[name] = source.stringValue ?? "" }
                cases.append(SpecCase(
                    file: file,
                    name: test["name"]?.stringValue ?? "?",
                    template: test["template"]?.stringValue ?? "",
                    data: test["data"] ?? .null,
                    partials: partials,
                    expected: test["expected"]?.stringValue ?? ""
                ))
            }
        }
        return cases
    }
}
