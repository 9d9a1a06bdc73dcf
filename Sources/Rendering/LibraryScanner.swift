import Foundation
import JSON

/// Reads the library folder into seeds. Problems are collected, not thrown,
/// so `templates check` can list them all; `notes` are inconsistencies that
/// only the check reports (a stale `template.json` subject).
struct LibraryScanner {
    let directory: String

    struct Result {
        var seeds: [TemplateSeed] = []
        var problems: [String] = []
        var notes: [String] = []
    }

    func scan() -> Result {
        var result = Result()
        guard TemplateLibrary.isDirectory(directory) else {
            result.problems.append("\(directory): not a folder")
            return result
        }
        for name in entries(directory) where TemplateLibrary.isDirectory(path(name)) {
            for typeName in entries(path(name)) {
                guard let type = TemplateType(rawValue: typeName), TemplateLibrary.isDirectory(path(name, typeName)) else {
                    result.problems.append("\(name)/\(typeName): not a template type folder (\(TemplateType.allCases.map(\.rawValue).joined(separator: ", ")))")
                    continue
                }
                scanTemplate(name: name, type: type, into: &result)
            }
        }
        result.seeds.sort { ($0.name, $0.type) < ($1.name, $1.type) }
        return result
    }

    private func scanTemplate(name: String, type: TemplateType, into result: inout Result) {
        let label = "\(name)/\(type.rawValue)"
        let folder = path(name, type.rawValue)
        var base = readParts(folder, type: type, label: label, problems: &result.problems)
        var locales = JSONObject()
        for entry in entries(folder) where TemplateLibrary.isDirectory("\(folder)/\(entry)") {
            guard TemplateDocument.isValidLocale(entry) else {
                result.problems.append("\(label): \(entry): not a locale folder (use a tag such as de or pt-BR)")
                continue
            }
            let parts = readParts("\(folder)/\(entry)", type: type, label: "\(label)/\(entry)", problems: &result.problems)
            var override = JSONObject()
            if let subject = parts.subject { override["subject"] = .string(subject) }  // first, as API documents write it
            for (key, value) in parts.body { override[key] = value }
            locales[entry] = .object(override)
        }
        // subject.mustache is the source of truth; template.json only fills in for a missing one.
        if let metadata = readMetadata(folder, label: label, problems: &result.problems) {
            if let subject = base.subject, subject != metadata {
                result.notes.append("\(label): template.json: subject differs from subject.mustache")
            } else if base.subject == nil {
                base.subject = metadata
            }
        }
        if !locales.isEmpty { base.body["locales"] = .object(locales) }
        result.seeds.append(TemplateSeed(name: name, type: type, subject: base.subject, body: .object(base.body)))
    }

    /// The subject and body parts in one folder (the base or a locale).
    private func readParts(
        _ folder: String, type: TemplateType, label: String, problems: inout [String]
    ) -> (subject: String?, body: JSONObject) {
        var subject: String?
        var body = JSONObject()
        var found: [TemplatePart: JSONValue] = [:]
        for file in entries(folder) where !TemplateLibrary.isDirectory("\(folder)/\(file)") && file != "template.json" {
            let stem = file.split(separator: ".", maxSplits: 1).first.map(String.init) ?? file
            guard let part = TemplatePart(rawValue: stem), part == .subject || type.parts.contains(part),
                  file == stem + (part.isJSON ? ".json" : ".mustache") else {
                problems.append("\(label): \(file): not a file \(type.rawValue) templates have")
                continue
            }
            guard let text = read("\(folder)/\(file)", label: label, problems: &problems) else { continue }
            if part == .subject {
                subject = Self.droppingFinalNewline(text)
            } else if part.isJSON {
                do { found[part] = try JSONValue(parsing: text) } catch {
                    problems.append("\(label): \(file): \(error)")
                }
            } else {
                found[part] = .string(text)  // as written: an SMS has no trailing newline to lose
            }
        }
        for part in type.parts { if let value = found[part] { body[part.rawValue] = value } }
        return (subject, body)
    }

    private func readMetadata(_ folder: String, label: String, problems: inout [String]) -> String? {
        let file = "\(folder)/template.json"
        guard FileManager.default.fileExists(atPath: file), let text = read(file, label: label, problems: &problems) else {
            return nil
        }
        do {
            let value = try JSONValue(parsing: text)
            guard case .object(let object) = value else {
                problems.append("\(label): template.json: expected an object")
                return nil
            }
            return object["subject"]?.stringValue
        } catch {
            problems.append("\(label): template.json: \(error)")
            return nil
        }
    }

    /// An editor's final newline is not part of a one-line subject.
    static func droppingFinalNewline(_ text: String) -> String {
        if text.hasSuffix("\r\n") { return String(text.dropLast(2)) }  // "\r\n" is one Character
        if text.hasSuffix("\n") { return String(text.dropLast()) }
        return text
    }

    private func read(_ file: String, label: String, problems: inout [String]) -> String? {
        guard let data = FileManager.default.contents(atPath: file) else {
            problems.append("\(label): \((file as NSString).lastPathComponent): unreadable")
            return nil
        }
        guard let text = String(validating: Array(data), as: UTF8.self) else {
            problems.append("\(label): \((file as NSString).lastPathComponent): not UTF-8")
            return nil
        }
        return text
    }

    /// Folder entries, sorted, without hidden files.
    private func entries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    private func path(_ components: String...) -> String {
        ([directory] + components).joined(separator: "/")
    }
}
