import Foundation
import JSON
import Rendering
import Testing

@Suite struct TemplateLibraryTests {
    /// `<name>/<type>` folders, counted straight from the disk.
    private func templateFolders(_ directory: String) throws -> [String] {
        let files = FileManager.default
        var result: [String] = []
        for name in try files.contentsOfDirectory(atPath: directory) where isFolder("\(directory)/\(name)") {
            for type in try files.contentsOfDirectory(atPath: "\(directory)/\(name)") where isFolder("\(directory)/\(name)/\(type)") {
                result.append("\(name)/\(type)")
            }
        }
        return result.sorted()
    }

    private func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    @Test func loadsEveryBuiltInTemplate() throws {
        let seeds = try TemplateLibrary.load(directory: templatesDirectory)
        let folders = try templateFolders(templatesDirectory)
        #expect(seeds.map { "\($0.name)/\($0.type.rawValue)" } == folders)
        #expect(folders == [
            "email-layout/email", "magic-link/email", "magic-link/sms", "organization-invitation/email",
            "tenant-invitation/email", "verification-code/email", "verification-code/sms", "welcome/email", "welcome/sms",
        ])
        for seed in seeds {
            #expect(seed.document.issues == [], "\(seed.name)/\(seed.type)")
            if seed.type == .email { #expect(seed.subject?.isEmpty == false) } else { #expect(seed.subject == nil) }
            if seed.name != "email-layout" { #expect(seed.body["locales"]?["de"] != nil, "\(seed.name) has German") }
        }
    }

    @Test func seedsKeepFilesAsWritten() throws {
        let seeds = try TemplateLibrary.load(directory: templatesDirectory)
        let sms = try #require(seeds.first { $0.name == "verification-code" && $0.type == .sms })
        let text = try String(contentsOfFile: templatesDirectory + "/verification-code/sms/text.mustache", encoding: .utf8)
        let german = try String(contentsOfFile: templatesDirectory + "/verification-code/sms/de/text.mustache", encoding: .utf8)
        #expect(sms.body == ["text": .string(text), "locales": ["de": ["text": .string(german)]]])

        let email = try #require(seeds.first { $0.name == "welcome" && $0.type == .email })
        let subject = try String(contentsOfFile: templatesDirectory + "/welcome/email/subject.mustache", encoding: .utf8)
        #expect(subject.hasSuffix("\n") && email.subject == String(subject.dropLast()))
        let metadata = try JSONValue(parsing: String(contentsOfFile: templatesDirectory + "/welcome/email/template.json", encoding: .utf8))
        #expect(metadata["subject"]?.stringValue == email.subject)
        #expect(email.body.objectValue?.keys == ["html", "text", "locales"])
        #expect(email.body["locales"]?["de"]?.objectValue?.keys == ["subject", "html", "text"])
    }

    @Test func checkFindsNothingWrong() {
        #expect(TemplateLibrary.check(directory: templatesDirectory) == [])
    }

    /// The lengths templates/README.md states for the sample data.
    @Test func smsLengthsMatchTheReadme() {
        let report = TemplateLibrary.checkReport(directory: templatesDirectory)
        let lengths = report.entries.filter { $0.type == .sms }.map { entry in
            "\(entry.name) " + entry.smsLengths.map { "\($0.locale) \($0.septets ?? -1)" }.joined(separator: " ")
        }
        #expect(lengths == ["magic-link en 151 de 150", "verification-code en 136 de 139", "welcome en 119 de 131"])
        #expect(report.entries.count == 9)
    }

    /// And with a 50-character tenant name, the README's worst case.
    @Test func smsLengthsWithALongTenantName() throws {
        let seeds = try TemplateLibrary.load(directory: templatesDirectory)
        let samples = try JSONValue(parsing: String(contentsOfFile: templatesDirectory + "/sample-data.json", encoding: .utf8))
        var lengths: [String] = []
        for seed in seeds where seed.type == .sms {
            guard case .object(var sample)? = samples[seed.name], case .object(var tenant)? = sample["tenant"] else {
                Issue.record("no sample for \(seed.name)")
                continue
            }
            tenant["name"] = .string(String(repeating: "N", count: 50))
            sample["tenant"] = .object(tenant)
            let template = try seed.document.compile()
            for locale in [nil, "de"] as [String?] {
                let text = try template.render(variables: .object(sample), locale: locale).text ?? ""
                lengths.append("\(seed.name)/\(locale ?? "en") \(GSM7.septetCount(text) ?? -1)")
            }
        }
        #expect(lengths == [
            "magic-link/en 159", "magic-link/de 158", "verification-code/en 138", "verification-code/de 141",
            "welcome/en 144", "welcome/de 156",
        ])
    }

    @Test func builtInEmailsRenderThroughTheLayout() throws {
        let seeds = try TemplateLibrary.load(directory: templatesDirectory)
        let compiled = try seeds.map { (name: $0.name, template: try $0.document.compile()) }
        let partials = TemplateDictionary(compiled, preferring: .email)
        let welcome = try #require(compiled.first { $0.name == "welcome" && $0.template.type == .email }).template
        #expect(welcome.referencedTemplateNames == ["email-layout"])
        let message = try welcome.render(
            variables: ["tenant": ["name": "Müller & Söhne"], "user": ["name": "<Ana>"]], locale: "de-AT", partials: partials)
        #expect(message.locale == "de")
        #expect(message.html?.contains("<html lang=\"de\"") == true)
        #expect(message.html?.contains("Müller &amp; Söhne") == true)
        #expect(message.html?.contains("&lt;Ana&gt;") == true)
        #expect(message.subject?.contains("Müller & Söhne") == true)
        #expect(message.text?.contains("<Ana>") == true)
    }

    @Test func defaultDirectoryFindsTheCheckout() throws {
        let directory = try #require(TemplateLibrary.defaultDirectory())
        #expect(FileManager.default.fileExists(atPath: directory + "/sample-data.json"))
    }
}

/// A scratch copy of templates/ to break on purpose.
private struct LibraryCopy: ~Copyable {
    let directory: String

    init() throws {
        let files = FileManager.default
        directory = NSTemporaryDirectory() + "rendering-tests-\(UUID().uuidString)"
        // Resolved: copying a symlink would copy the link, and the tests would break the real files.
        let source = URL(fileURLWithPath: templatesDirectory).resolvingSymlinksInPath().path
        try files.copyItem(atPath: source, toPath: directory)
        guard try files.attributesOfItem(atPath: directory)[.type] as? FileAttributeType == .typeDirectory else {
            throw CocoaError(.fileWriteUnknown)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func read(_ file: String) throws -> String { try String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8) }
    func write(_ file: String, _ text: String) throws {
        try text.write(toFile: "\(directory)/\(file)", atomically: true, encoding: .utf8)
    }
}

@Suite struct BrokenLibraryTests {
    @Test func reportsExactlyTheBrokenFiles() throws {
        let copy = try LibraryCopy()
        let html = try copy.read("verification-code/email/html.mustache")
        let line = html.split(separator: "\n", omittingEmptySubsequences: false).count
        try copy.write("verification-code/email/html.mustache", html + "<p>{{#items}}</p>\n")
        try copy.write("welcome/sms/de/text.mustache", try copy.read("welcome/sms/de/text.mustache") + String(repeating: "x", count: 40))

        #expect(TemplateLibrary.check(directory: copy.directory) == [
            "verification-code/email: html.mustache:\(line):4: unclosed section \"items\"",
            "welcome/sms/de: text.mustache: 171 GSM-7 characters, more than 160",
        ])
        #expect(throws: Never.self) { try TemplateLibrary.load(directory: copy.directory) }  // loading is not checking
    }

    @Test func reportsCharactersSubjectsPartialsAndSamples() throws {
        let copy = try LibraryCopy()
        try copy.write("verification-code/sms/text.mustache", try copy.read("verification-code/sms/text.mustache").replacing("'", with: "’"))
        try copy.write("welcome/email/de/subject.mustache", "Willkommen\nbei {{tenant.name}}\n")
        try copy.write("tenant-invitation/email/text.mustache", "{{> signature}}")
        try copy.write("organization-invitation/email/template.json", "{\"subject\": \"stale\"}")
        let samples = try JSONValue(parsing: try copy.read("sample-data.json"))
        guard case .object(var object) = samples else { throw CancellationError() }
        object["welcome"] = nil
        try copy.write("sample-data.json", JSONValue.object(object).jsonString)

        #expect(TemplateLibrary.check(directory: copy.directory) == [
            "tenant-invitation/email: text.mustache:1:1: unknown partial \"signature\"",
            "verification-code/sms: text.mustache: characters outside GSM-7: \"’\" (U+2019)",
            "welcome/email/de: subject.mustache: more than one line",
            "welcome/email: no entry in sample-data.json",
            "welcome/sms: no entry in sample-data.json",
            "organization-invitation/email: template.json: subject differs from subject.mustache",
        ])
    }

    @Test func loadRefusesStrayFiles() throws {
        let copy = try LibraryCopy()
        try copy.write("welcome/sms/html.mustache", "x")
        try FileManager.default.createDirectory(atPath: copy.directory + "/welcome/fax", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: copy.directory + "/welcome/sms/de_AT", withIntermediateDirectories: false)
        let error = #expect(throws: TemplateLibraryError.self) { try TemplateLibrary.load(directory: copy.directory) }
        #expect(error?.problems == [
            "welcome/fax: not a template type folder (email, sms, push, webhook, inapp, chat)",
            "welcome/sms: html.mustache: not a file sms templates have",
            "welcome/sms: de_AT: not a locale folder (use a tag such as de or pt-BR)",
        ])
        #expect(TemplateLibrary.check(directory: copy.directory).count == 3)
    }
}
