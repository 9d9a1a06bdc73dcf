import JSON

/// Loads the partials and layouts a template reaches, level by level, from
/// wherever the caller keeps templates (the API and the worker read a
/// tenant's templates from the database; the worker falls back to the
/// built-in library). Shared so both resolve names the same way.
public enum TemplatePartialLoader {
    /// A template found under a wanted name.
    public struct Candidate: Sendable {
        public var name: String
        public var document: TemplateDocument

        public init(name: String, document: TemplateDocument) {
            self.name = name
            self.document = document
        }
    }

    /// Asks `fetch` for the names `root` references, then for the names those
    /// reference, up to `maxLevels` levels. Where several templates share a
    /// name, the one of the root's type wins, else the first `fetch` answered.
    /// Candidates that do not compile are skipped: the render then reports the
    /// missing partial with its position.
    public static func load(
        for root: CompiledTemplate, maxLevels: Int = 10,
        fetch: ([String]) async throws -> [Candidate]
    ) async throws -> TemplateDictionary {
        var loaded = TemplateDictionary()
        var wanted = root.referencedTemplateNames
        for _ in 0..<maxLevels where !wanted.isEmpty {
            let found = try await fetch(wanted.sorted())
            var next = Set<String>()
            for name in wanted {
                let candidates = found.filter { $0.name == name }
                guard let pick = candidates.first(where: { $0.document.type == root.type }) ?? candidates.first,
                      let compiled = try? pick.document.compile() else { continue }
                loaded.templates[name] = compiled
                next.formUnion(compiled.referencedTemplateNames)
            }
            wanted = next.subtracting(loaded.templates.keys)
        }
        return loaded
    }
}
