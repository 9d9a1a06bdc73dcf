import Foundation
import JSON

/// Writes templates as files, the inverse of `LibraryScanner`: what it writes
/// scans back to the same subject and body (see `TemplateSeed.changedFiles`).
///
/// A template's folder is made to hold exactly the template: part files the
/// scanner would read and the template no longer has are removed, so a
/// locale dropped on the server disappears locally. Other files are left.
struct LibraryWriter {
    let directory: String

    func write(_ seed: TemplateSeed) throws(TemplateLibraryError) {
        let label = "\(seed.name)/\(seed.type.rawValue)"
        guard TemplateLibrary.isUsableFolderName(seed.name) else {
            throw TemplateLibraryError(problems: ["\(label): the name cannot be a folder name"])
        }
        let folder = "\(directory)/\(seed.name)/\(seed.type.rawValue)"
        let document = seed.document
        guard case .object(let body) = document.body else {
            throw TemplateLibraryError(problems: ["\(label): the body is not an object"])
        }
        var locales = JSONObject()
        if case .object(let found)? = body["locales"] { locales = found }
        for tag in locales.keys where !TemplateDocument.isValidLocale(tag) {
            throw TemplateLibraryError(problems: ["\(label): locale \(tag) cannot be a folder name"])
        }
        do {
            try writeParts(folder, type: seed.type, subject: seed.subject, body: body)
            try updateMetadata(folder, subject: seed.subject)
            for entry in Self.entries(folder) where TemplateLibrary.isDirectory("\(folder)/\(entry)")
                && TemplateDocument.isValidLocale(entry) && locales[entry] == nil {
                try removeParts("\(folder)/\(entry)", keeping: [])
                let rest = (try? FileManager.default.contentsOfDirectory(atPath: "\(folder)/\(entry)")) ?? []
                if rest.isEmpty { try FileManager.default.removeItem(atPath: "\(folder)/\(entry)") }  // an author's other files stay
            }
            for tag in locales.keys {
                guard case .object(let override)? = locales[tag] else {
                    throw TemplateLibraryError(problems: ["\(label)/\(tag): the locale is not an object"])
                }
                try writeParts("\(folder)/\(tag)", type: seed.type, subject: override["subject"]?.stringValue, body: override)
            }
        } catch let error as TemplateLibraryError {
            throw error
        } catch {
            throw TemplateLibraryError(problems: ["\(label): \(error.localizedDescription)"])
        }
    }

    /// One folder's files: `subject.mustache` (with an editor's final newline,
    /// which the scanner drops), the body parts as written, JSON parts pretty.
    private func writeParts(_ folder: String, type: TemplateType, subject: String?, body: JSONObject) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var written: Set<String> = []
        if let subject {
            try Self.save(subject + "\n", to: "\(folder)/subject.mustache")
            written.insert("subject.mustache")
        }
        for part in type.parts {
            guard let value = body[part.rawValue] else { continue }
            let file = part.fileName
            if part.isJSON {
                try Self.save(String(decoding: value.encoded(prettyPrinted: true), as: UTF8.self) + "\n", to: "\(folder)/\(file)")
            } else if let text = value.stringValue {
                try Self.save(text, to: "\(folder)/\(file)")
            } else {
                continue
            }
            written.insert(file)
        }
        try removeParts(folder, keeping: written)
    }

    /// Removes the part files in `folder` that are not in `keeping`.
    private func removeParts(_ folder: String, keeping: Set<String>) throws {
        let partFiles = Set(TemplatePart.allCases.map(\.fileName))
        for entry in Self.entries(folder) where partFiles.contains(entry) && !keeping.contains(entry) {
            try FileManager.default.removeItem(atPath: "\(folder)/\(entry)")
        }
    }

    /// `template.json` repeats the subject in the repository's folder; a pull
    /// keeps an existing one in step rather than creating a second source of truth.
    private func updateMetadata(_ folder: String, subject: String?) throws {
        let file = "\(folder)/template.json"
        guard FileManager.default.fileExists(atPath: file) else { return }
        guard let subject else {
            try FileManager.default.removeItem(atPath: file)
            return
        }
        let quoted = String(decoding: JSONValue.string(subject).encoded(), as: UTF8.self)
        try Self.save("{\"subject\": \(quoted)}\n", to: file)  // as the repository writes it
    }

    /// Writes only when the bytes differ, so an unchanged pull leaves files (and their times) alone.
    private static func save(_ text: String, to file: String) throws {
        let data = Data(text.utf8)
        if FileManager.default.contents(atPath: file) == data { return }
        try data.write(to: URL(fileURLWithPath: file), options: .atomic)
    }

    private static func entries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }
}

extension TemplatePart {
    /// The file a part is written in: `html.mustache`, `data.json`.
    var fileName: String { rawValue + (isJSON ? ".json" : ".mustache") }
}
