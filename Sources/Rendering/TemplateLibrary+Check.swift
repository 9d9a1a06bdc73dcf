import Foundation
import JSON

/// What `herald templates check` found: each template with its SMS lengths, and the problems.
public struct TemplateCheckReport: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var type: TemplateType
        /// The locales rendered: the base (as `CompiledTemplate.baseLocale`), then each locale folder.
        public var locales: [String]
        /// SMS only: the rendered text's length per locale.
        public var smsLengths: [SMSLength]
    }

    public struct SMSLength: Sendable, Hashable {
        public var locale: String
        /// GSM-7 septets, nil when a character is outside GSM-7.
        public var septets: Int?
        /// Unicode scalars, for a message that must go as UCS-2.
        public var characters: Int
    }

    public var entries: [Entry]
    /// `name/type[/locale]: message`, each once.
    public var problems: [String]
}

extension TemplateLibrary {
    /// One SMS segment of GSM-7 text.
    public static let maxSMSSeptets = 160

    /// Problems with the library, `name/type[/locale]: message`; empty when it is fine.
    public static func check(directory: String) -> [String] {
        checkReport(directory: directory).problems
    }

    /// Compiles every template, renders each locale with its `sample-data.json`
    /// entry (all library templates serving as partials), measures SMS texts
    /// against GSM-7 and checks that subjects are one line.
    public static func checkReport(directory: String) -> TemplateCheckReport {
        let scan = LibraryScanner(directory: directory).scan()
        var problems = Problems(scan.problems)
        let samples = sampleData(directory, problems: &problems)

        var compiled: [(seed: TemplateSeed, template: CompiledTemplate)] = []
        for seed in scan.seeds {
            do {
                compiled.append((seed, try seed.document.compile()))
            } catch {
                for issue in error.issues { problems.add(seed, issue) }
            }
        }
        let all = compiled.map { (name: $0.seed.name, template: $0.template) }

        var entries: [TemplateCheckReport.Entry] = []
        for (seed, template) in compiled {
            let partials = TemplateDictionary(all, preferring: seed.type)
            for issue in template.unresolvedPartials(in: partials) { problems.add(seed, issue) }
            checkSubjects(seed, problems: &problems)
            let data: JSONValue
            if let samples, let sample = TemplateLibrary.sample(for: seed, in: samples) {
                data = sample
            } else {
                data = .object([:])
                if samples != nil { problems.add(seed, locale: nil, "no entry in sample-data.json") }
            }
            var entry = TemplateCheckReport.Entry(name: seed.name, type: seed.type, locales: [], smsLengths: [])
            for locale in [nil] + template.locales {
                let label = locale ?? CompiledTemplate.baseLocale
                entry.locales.append(label)
                let message: RenderedMessage
                do {
                    message = try template.render(variables: data, locale: locale, partials: partials)
                } catch {
                    problems.add(seed, error.issue)
                    continue
                }
                if seed.type == .sms, let text = message.text {
                    let length = measureSMS(text, seed: seed, locale: locale, problems: &problems)
                    entry.smsLengths.append(TemplateCheckReport.SMSLength(
                        locale: label, septets: length, characters: text.unicodeScalars.count))
                }
            }
            entries.append(entry)
        }
        for note in scan.notes { problems.add(note) }
        return TemplateCheckReport(entries: entries, problems: problems.list)
    }

    private static func sampleData(_ directory: String, problems: inout Problems) -> JSONObject? {
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(sampleDataFile)") else {
            problems.add("sample-data.json: missing")
            return nil
        }
        do {
            guard case .object(let object) = try JSONValue(parsing: Array(data)) else {
                problems.add("sample-data.json: expected an object of template names")
                return nil
            }
            return object
        } catch {
            problems.add("sample-data.json: \(error)")
            return nil
        }
    }

    /// Subjects are written on one line; only the file's final newline is dropped.
    private static func checkSubjects(_ seed: TemplateSeed, problems: inout Problems) {
        var subjects: [(locale: String?, source: String)] = seed.subject.map { [(nil, $0)] } ?? []
        if case .object(let locales)? = seed.body["locales"] {
            for (tag, entry) in locales {
                if let subject = entry["subject"]?.stringValue { subjects.append((tag, subject)) }
            }
        }
        for (locale, source) in subjects where source.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) {
            problems.add(seed, locale: locale, "subject.mustache: more than one line")
        }
    }

    private static func measureSMS(_ text: String, seed: TemplateSeed, locale: String?, problems: inout Problems) -> Int? {
        guard let septets = GSM7.septetCount(text) else {
            let characters = GSM7.unsupportedCharacters(in: text).map { "\"\($0)\" (U+\(String($0.value, radix: 16, uppercase: true)))" }
            problems.add(seed, locale: locale, "text.mustache: characters outside GSM-7: \(characters.joined(separator: ", "))")
            return nil
        }
        if septets > maxSMSSeptets {
            problems.add(seed, locale: locale, "text.mustache: \(septets) GSM-7 characters, more than \(maxSMSSeptets)")
        }
        return septets
    }
}

/// Problems in order, each once: a base file's error shows up in every locale's render.
private struct Problems {
    private(set) var list: [String] = []
    private var seen: Set<String> = []

    init(_ initial: [String]) { for problem in initial { add(problem) } }

    mutating func add(_ problem: String) {
        if seen.insert(problem).inserted { list.append(problem) }
    }

    mutating func add(_ seed: TemplateSeed, locale: String?, _ message: String) {
        let label = "\(seed.name)/\(seed.type.rawValue)" + (locale.map { "/\($0)" } ?? "")
        add("\(label): \(message)")
    }

    /// An issue named by the file it is in: `body.locales.de.html` is `de`'s `html.mustache`.
    mutating func add(_ seed: TemplateSeed, _ issue: TemplateIssue) {
        add(TemplateLibrary.describe(issue, in: seed))
    }
}
