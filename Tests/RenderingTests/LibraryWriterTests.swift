import Foundation
import JSON
import Rendering
import Testing

/// Templates written as files scan back to the same templates: what makes a
/// pull followed by a push a no-op.
@Suite struct LibraryWriterTests {
    private func folder() -> String { NSTemporaryDirectory() + "herald-writer-\(UUID().uuidString)" }

    private func roundTrip(_ seeds: [TemplateSeed]) throws -> [TemplateSeed] {
        let directory = folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for seed in seeds { try TemplateLibrary.write(seed, directory: directory) }
        let scan = TemplateLibrary.scan(directory: directory)
        #expect(scan.problems.isEmpty, "\(scan.problems)")
        return scan.seeds
    }

    @Test func everyShapeOfTemplateScansBackUnchanged() throws {
        let seeds = [
            TemplateSeed(name: "alert", type: .push, subject: nil, body: [
                "title": "Hi {{user.name}}", "text": "Line one\nline two\n",
                "data": ["url": "{{link}}", "count": 3, "tags": ["a", "{{b}}"]],
                "locales": ["de": ["title": "Hallo", "data": ["url": "{{link}}/de"]]],
            ]),
            TemplateSeed(name: "hook", type: .webhook, subject: nil, body: ["json": ["event": "{{name}}", "n": 1.5]]),
            TemplateSeed(name: "hello", type: .email, subject: "Line with a final newline\n", body: [
                "html": "<p>{{x}}</p>", "locales": ["de": ["subject": "Nur der Betreff"], "pt-BR": ["text": "Olá"]],
            ]),
            TemplateSeed(name: "code", type: .sms, subject: "", body: "Your code is {{code}}"),
        ]
        let scanned = try roundTrip(seeds)
        #expect(scanned.count == seeds.count)
        for seed in seeds {
            let back = try #require(scanned.first { $0.name == seed.name && $0.type == seed.type })
            #expect(back.changedFiles(from: seed) == [], "\(seed.name)")
            #expect(back.subject == seed.subject)
        }
    }

    @Test func changedFilesNameThePartsThatDiffer() {
        let base = TemplateSeed(name: "w", type: .email, subject: "Hi", body: [
            "html": "<p>a</p>", "text": "a", "locales": ["de": ["subject": "Hallo", "html": "<p>b</p>"]],
        ])
        var edited = base
        edited.subject = "Hello"
        edited.body = ["html": "<p>a</p>", "locales": ["de": ["subject": "Hallo", "html": "<p>c</p>"], "fr": [:]]]
        #expect(edited.changedFiles(from: base) == ["subject.mustache", "text.mustache", "de/html.mustache"])
        // Key order, a bare string body and empty locales are not changes.
        let bare = TemplateSeed(name: "s", type: .sms, subject: nil, body: "Hi")
        let object = TemplateSeed(name: "s", type: .sms, subject: nil, body: ["locales": [:], "text": "Hi"])
        #expect(bare.changedFiles(from: object) == [])
    }

    @Test func aSecondWriteRemovesWhatTheTemplateNoLongerHas() throws {
        let directory = folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try TemplateLibrary.write(TemplateSeed(name: "w", type: .email, subject: "Hi", body: [
            "html": "<p>a</p>", "text": "a", "locales": ["de": ["html": "<p>b</p>"]],
        ]), directory: directory)
        try Data("notes".utf8).write(to: URL(fileURLWithPath: "\(directory)/w/email/NOTES.md"))
        try TemplateLibrary.write(TemplateSeed(name: "w", type: .email, subject: nil, body: ["html": "<p>a</p>"]),
                                  directory: directory)
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/w/email").sorted()
        #expect(files == ["NOTES.md", "html.mustache"])
    }

    @Test func namesThatCannotBeFoldersAreRefused() {
        #expect(TemplateLibrary.isUsableFolderName("organization-invitation"))
        #expect(TemplateLibrary.isUsableFolderName("Grüße 2"))
        for name in ["", ".hidden", "a/b", "sample-data.json", String(repeating: "x", count: 256)] {
            #expect(!TemplateLibrary.isUsableFolderName(name), "\(name)")
        }
        #expect(throws: TemplateLibraryError.self) {
            try TemplateLibrary.write(TemplateSeed(name: "../escape", type: .sms, subject: nil, body: "x"), directory: folder())
        }
    }

    @Test func sampleDataIsKeyedByNameUnlessTheTypesDiffer() {
        let email = TemplateSeed(name: "welcome", type: .email, subject: nil, body: "x")
        let sms = TemplateSeed(name: "welcome", type: .sms, subject: nil, body: "x")
        let code = TemplateSeed(name: "code", type: .sms, subject: nil, body: "x")
        let same = TemplateLibrary.sampleDataDocument([(email, ["a": 1]), (sms, ["a": 1]), (code, [:])])
        #expect(same == ["welcome": ["a": 1], "code": [:]])
        let differ = TemplateLibrary.sampleDataDocument([(email, ["a": 1]), (sms, ["a": 2])])
        #expect(differ == ["welcome/email": ["a": 1], "welcome/sms": ["a": 2]])
        #expect(TemplateLibrary.sample(for: sms, in: differ) == ["a": 2])
        #expect(TemplateLibrary.sample(for: sms, in: ["welcome": ["a": 1], "welcome/sms": ["a": 3]]) == ["a": 3])
        #expect(TemplateLibrary.sample(for: code, in: same) == [:])
        #expect(TemplateLibrary.sample(for: code, in: differ) == nil)
    }
}
