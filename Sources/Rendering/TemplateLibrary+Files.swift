import Foundation
import JSON

/// A library folder as read: its templates, the problems that stop a load,
/// and notes (a stale `template.json`) that do not.
public struct TemplateLibraryScan: Sendable {
    public var seeds: [TemplateSeed]
    public var problems: [String]
    public var notes: [String]
}

extension TemplateLibrary {
    /// Reads the folder without throwing, for callers that report everything at once.
    public static func scan(directory: String) -> TemplateLibraryScan {
        let result = LibraryScanner(directory: directory).scan()
        return TemplateLibraryScan(seeds: result.seeds, problems: result.problems, notes: result.notes)
    }

    /// Writes one template in the layout `scan` reads (templates/README.md).
    public static func write(_ seed: TemplateSeed, directory: String) throws(TemplateLibraryError) {
        try LibraryWriter(directory: directory).write(seed)
    }

    /// A template name that makes a folder the scanner reads back: not hidden,
    /// no path separator, not a file name the library folder uses itself.
    public static func isUsableFolderName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.unicodeScalars.contains("\0")
            && name.utf8.count <= 255 && name != sampleDataFile
    }

    /// An issue named by the file it is in, as `templates check` prints it:
    /// `body.locales.de.html:3:7: …` is `name/type/de: html.mustache:3:7: …`.
    public static func describe(_ issue: TemplateIssue, in seed: TemplateSeed) -> String {
        let label = "\(seed.name)/\(seed.type.rawValue)"
        var key = Substring(issue.part)
        var locale: String?
        if key.hasPrefix("body.locales.") {
            key = key.dropFirst("body.locales.".count)
            guard let dot = key.firstIndex(of: ".") else { return "\(label): \(issue.description)" }
            locale = String(key[..<dot])
            key = key[key.index(after: dot)...]
        } else if key.hasPrefix("body.") {
            key = key.dropFirst("body.".count)
        }
        guard let part = TemplatePart(rawValue: String(key)) else { return "\(label): \(issue.description)" }
        var located = issue
        located.part = part.fileName
        return label + (locale.map { "/\($0)" } ?? "") + ": " + located.description
    }
}

extension TemplateSeed {
    /// The files that differ between two versions of a template, as paths in
    /// its folder (`subject.mustache`, `de/html.mustache`); empty when the
    /// scanner would read both the same. Bodies are compared normalised, key
    /// order aside, with empty locales dropped: a folder cannot hold them apart.
    public func changedFiles(from other: TemplateSeed) -> [String] {
        let mine = Self.folders(subject: subject, body: document.body)
        let theirs = Self.folders(subject: other.subject, body: other.document.body)
        var changed: [String] = []
        for folder in Set(mine.keys).union(theirs.keys).sorted() {
            let prefix = folder.isEmpty ? "" : folder + "/"
            let a = mine[folder] ?? [:], b = theirs[folder] ?? [:]
            for file in Set(a.keys).union(b.keys).sorted() where a[file] != b[file] {
                changed.append(prefix + file)
            }
        }
        return changed
    }

    /// Files per folder ("" for the base), each as its JSON value.
    private static func folders(subject: String?, body: JSONValue) -> [String: [String: JSONValue]] {
        guard case .object(let object) = body else { return ["": ["body": body]] }
        var base: [String: JSONValue] = [:]
        if let subject { base[TemplatePart.subject.fileName] = .string(subject) }
        var result: [String: [String: JSONValue]] = [:]
        for (key, value) in object {
            if key == "locales", case .object(let locales) = value {
                for (tag, override) in locales {
                    guard case .object(let parts) = override else {
                        result[tag] = ["": override]
                        continue
                    }
                    var files: [String: JSONValue] = [:]
                    for (name, part) in parts { files[TemplatePart(rawValue: name)?.fileName ?? name] = part }
                    if !files.isEmpty { result[tag] = files }
                }
            } else {
                base[TemplatePart(rawValue: key)?.fileName ?? key] = value
            }
        }
        if !base.isEmpty { result[""] = base }
        return result
    }
}
