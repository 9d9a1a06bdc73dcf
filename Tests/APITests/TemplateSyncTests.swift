import Foundation
@testable import HeraldCore
import HeraldTestSupport
import JSON
import Rendering
import Testing

/// `herald templates pull/push` against a real Herald and PostgreSQL: the
/// client speaks HTTP over loopback with the tenant's key pair, as the CLI does.
@Suite struct TemplateSyncTests {
    /// A tenant with its built-in templates, a client with its keys, and an empty folder.
    struct Fixture {
        let api: APIHarness
        let tenant: TestTenant
        let sync: TemplateSync
        var directory: String { sync.directory }

        static func make(_ api: APIHarness, email: String) async throws -> Fixture {
            let owner = try await api.token(email: email)
            let tenant = try await api.tenant(owner: owner)
            guard case .keys(let publicKey, let secretKey) = tenant.keys else { throw FixtureError() }
            let client = HeraldAPIClient(baseURL: URL(string: "http://127.0.0.1:\(api.port)")!,
                                         credentials: TenantCredentials(publicKey: publicKey, secretKey: secretKey))
            let directory = NSTemporaryDirectory() + "herald-sync-\(UUID().uuidString)"
            return Fixture(api: api, tenant: tenant, sync: TemplateSync(client: client, tenantId: tenant.id, directory: directory))
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }

        /// Each template's version count, by `name/type`.
        func versionCounts() async throws -> [String: Int] {
            let list = try await api.call("GET", "/api/v0/tenants/\(tenant.id)/notifications/templates?perPage=100", tenant.keys).json()
            var counts: [String: Int] = [:]
            for item in list["data"]?.arrayValue ?? [] {
                let id = item["id"]?.stringValue ?? ""
                let versions = try await api.call("GET", "/api/v0/notifications/templates/\(id)/versions", tenant.keys).json()
                counts["\(item["name"]?.stringValue ?? "")/\(item["type"]?.stringValue ?? "")"] = versions["data"]?.arrayValue?.count
            }
            return counts
        }

        func template(_ key: String) async throws -> JSONValue? {
            let list = try await api.call("GET", "/api/v0/tenants/\(tenant.id)/notifications/templates?perPage=100", tenant.keys).json()
            return list["data"]?.arrayValue?.first { "\($0["name"]?.stringValue ?? "")/\($0["type"]?.stringValue ?? "")" == key }
        }

        func write(_ text: String, to file: String) throws {
            let path = "\(directory)/\(file)"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
    }

    struct FixtureError: Error {}

    static let repositoryTemplates = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("templates").path

    /// Files under `folder`, relative, sorted.
    static func files(_ folder: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var found: [String] = []
        while let entry = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(folder)/\(entry)", isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append(entry)
            }
        }
        return found.sorted()
    }

    @Test func pullWritesTheBuiltInTemplatesAsTheRepositoryHasThem() async throws {
        try await APIHarness.with { api in
            let fixture = try await Fixture.make(api, email: "sync-pull@example.com")
            defer { fixture.remove() }
            let report = try await fixture.sync.pull()
            #expect(report.problems.isEmpty, "\(report.problems)")
            #expect(report.lines.contains("welcome/sms"))
            #expect(report.lines.last == "9 templates pulled into \(fixture.directory)")

            // Every part file, byte for byte; template.json only repeats the subject and is not created.
            let expected = Self.files(Self.repositoryTemplates).filter {
                $0.hasSuffix(".mustache") || ($0.hasSuffix(".json") && !$0.hasSuffix("template.json") && $0.contains("/"))
            }
            let pulled = Self.files(fixture.directory).filter { $0 != TemplateLibrary.sampleDataFile }
            #expect(pulled == expected)
            for file in expected {
                #expect(FileManager.default.contents(atPath: "\(fixture.directory)/\(file)")
                        == FileManager.default.contents(atPath: "\(Self.repositoryTemplates)/\(file)"), "\(file)")
            }
            #expect(FileManager.default.fileExists(atPath: "\(fixture.directory)/organization-invitation/email/de/html.mustache"))

            // A second pull rewrites nothing and still scans back to the same templates.
            let before = try FileManager.default.attributesOfItem(atPath: "\(fixture.directory)/welcome/email/html.mustache")
            _ = try await fixture.sync.pull()
            let after = try FileManager.default.attributesOfItem(atPath: "\(fixture.directory)/welcome/email/html.mustache")
            #expect(before[.modificationDate] as? Date == after[.modificationDate] as? Date)
            #expect(TemplateLibrary.scan(directory: fixture.directory).seeds.count == 9)
        }
    }

    @Test func pullThenPushOfAnUnchangedFolderChangesNothing() async throws {
        try await APIHarness.with { api in
            let fixture = try await Fixture.make(api, email: "sync-noop@example.com")
            defer { fixture.remove() }
            _ = try await fixture.sync.pull()
            let versions = try await fixture.versionCounts()
            let welcome = try await fixture.template("welcome/email")

            let report = try await fixture.sync.push()
            #expect(report.problems.isEmpty, "\(report.problems)")
            #expect(report.writes == 0)
            #expect(report.lines.filter { $0.hasSuffix(": unchanged") }.count == 9, "\(report.lines)")
            #expect(report.lines.last == "0 created, 0 updated, 9 unchanged")
            #expect(try await fixture.versionCounts() == versions)
            #expect(try await fixture.template("welcome/email")?["updatedAt"] == welcome?["updatedAt"])
        }
    }

    @Test func anEditedPartPushesOneUpdate() async throws {
        try await APIHarness.with { api in
            let fixture = try await Fixture.make(api, email: "sync-edit@example.com")
            defer { fixture.remove() }
            _ = try await fixture.sync.pull()
            let versions = try await fixture.versionCounts()
            let file = "welcome/sms/de/text.mustache"
            try fixture.write("Willkommen bei {{tenant.name}}, {{user.name}}!", to: file)

            let report = try await fixture.sync.push()
            #expect(report.problems.isEmpty, "\(report.problems)")
            #expect(report.writes == 1)
            #expect(report.lines.contains("welcome/sms: updated (de/text.mustache)"), "\(report.lines)")
            var expected = versions
            expected["welcome/sms"] = (versions["welcome/sms"] ?? 0) + 1
            #expect(try await fixture.versionCounts() == expected)
            let stored = try await fixture.template("welcome/sms")
            #expect(stored?["body"]?["locales"]?["de"]?["text"] == "Willkommen bei {{tenant.name}}, {{user.name}}!")
            #expect(stored?["body"]?["text"] != nil)

            // Pushed once, the folder is in step again.
            #expect(try await fixture.sync.push().writes == 0)
        }
    }

    @Test func oneBrokenTemplateStopsThePushAndNamesTheFileLineAndColumn() async throws {
        try await APIHarness.with { api in
            let fixture = try await Fixture.make(api, email: "sync-broken@example.com")
            defer { fixture.remove() }
            _ = try await fixture.sync.pull()
            let versions = try await fixture.versionCounts()
            try fixture.write("Hello {{user.name}}, all is well\n", to: "welcome/email/subject.mustache")
            try fixture.write("Hallo\n{{#user}}{{name}}", to: "welcome/sms/de/text.mustache")
            try fixture.write(#"{"event":"{{name}}"}"#, to: "order-shipped/webhook/json.json")

            let report = try await fixture.sync.push()
            #expect(report.problems == [#"welcome/sms/de: text.mustache:2:1: unclosed section "user""#], "\(report.problems)")
            #expect(report.writes == 0)
            #expect(report.lines == ["nothing pushed: 1 problem"])
            #expect(try await fixture.versionCounts() == versions)
            #expect(try await fixture.template("order-shipped/webhook") == nil)
            #expect(try await fixture.template("welcome/email")?["subject"] == "Welcome to {{tenant.name}}")
        }
    }

    @Test func aLayoutMissingEverywhereIsAProblemAndANewOneInTheFolderIsNot() async throws {
        try await APIHarness.with { api in
            let fixture = try await Fixture.make(api, email: "sync-partials@example.com")
            defer { fixture.remove() }
            try fixture.write("{{> no-such-footer}}", to: "note/sms/text.mustache")
            let refused = try await fixture.sync.push()
            #expect(refused.problems.count == 1)
            #expect(refused.problems.first?.hasPrefix(#"note/sms: text.mustache:1:1: unknown partial "no-such-footer""#) == true,
                    "\(refused.problems)")
            #expect(refused.writes == 0)

            // The partial arrives in the same push: the server has not got it yet, and that is no problem.
            try fixture.write("-- Acme", to: "no-such-footer/sms/text.mustache")
            let report = try await fixture.sync.push()
            #expect(report.problems.isEmpty, "\(report.problems)")
            #expect(report.lines.contains("note/sms: created"))
            #expect(report.writes == 2)
        }
    }

    @Test func aDryRunPrintsWhatWouldChangeAndChangesNothing() async throws {
        try await APIHarness.with { api in
            let fixture = try await Fixture.make(api, email: "sync-dry@example.com")
            defer { fixture.remove() }
            _ = try await fixture.sync.pull()
            let versions = try await fixture.versionCounts()
            try fixture.write("Neu: {{tenant.name}}\n", to: "welcome/email/de/subject.mustache")
            try fixture.write("<p>{{tenant.name}}</p>", to: "welcome/email/html.mustache")
            try fixture.write("Shipped {{order}}", to: "order-shipped/sms/text.mustache")

            let report = try await fixture.sync.push(.init(dryRun: true))
            #expect(report.problems.isEmpty, "\(report.problems)")
            #expect(report.writes == 0)
            #expect(report.lines.contains("welcome/email: would be updated (html.mustache, de/subject.mustache)"), "\(report.lines)")
            #expect(report.lines.contains("order-shipped/sms: would be created"))
            #expect(report.lines.contains("magic-link/sms: unchanged"))
            #expect(report.lines.last == "dry run, nothing changed: 1 created, 1 updated, 8 unchanged")
            #expect(try await fixture.versionCounts() == versions)
            #expect(try await fixture.template("order-shipped/sms") == nil)
        }
    }

    @Test func templatesOnlyOnTheServerAreKeptUnlessPruned() async throws {
        try await APIHarness.with { api in
            let fixture = try await Fixture.make(api, email: "sync-prune@example.com")
            defer { fixture.remove() }
            _ = try await fixture.sync.pull()
            try FileManager.default.removeItem(atPath: "\(fixture.directory)/welcome/sms")
            let kept = try await fixture.sync.push()
            #expect(kept.writes == 0)
            #expect(kept.warnings.contains("welcome/sms: only on the server, kept (--prune deletes it)"), "\(kept.warnings)")
            #expect(try await fixture.template("welcome/sms") != nil)

            let pruned = try await fixture.sync.push(.init(prune: true))
            #expect(pruned.writes == 1)
            #expect(pruned.lines.contains("welcome/sms: deleted"))
            #expect(try await fixture.template("welcome/sms") == nil)

            // A layout other templates still use is not pruned: the server's 409 names them.
            try FileManager.default.removeItem(atPath: "\(fixture.directory)/email-layout")
            let refused = try await fixture.sync.push(.init(prune: true))
            #expect(refused.writes == 0)
            #expect(refused.problems.first?.hasPrefix("email-layout/email: not deleted: 409") == true, "\(refused.problems)")
            #expect(refused.problems.first?.contains("used by") == true, "\(refused.problems)")
            #expect(try await fixture.template("email-layout/email") != nil)
        }
    }

    @Test func theCommandTakesItsKeysFromTheEnvironmentAndAnswersInExitStatuses() async throws {
        try await APIHarness.with { api in
            let fixture = try await Fixture.make(api, email: "sync-cli@example.com")
            defer { fixture.remove() }
            guard case .keys(let publicKey, let secretKey) = fixture.tenant.keys else { throw FixtureError() }
            let environment = ["PXYZ_PUBLIC_KEY": publicKey, "PXYZ_SECRET_KEY": secretKey, "HERALD_TENANT_ID": fixture.tenant.id]
            let url = "http://127.0.0.1:\(api.port)"
            let dir = fixture.directory
            #expect(await TemplatesSyncCommand.run(["pull", "--dir", dir, "--url", url], environment: environment) == 0)
            #expect(FileManager.default.fileExists(atPath: "\(dir)/welcome/sms/text.mustache"))
            // Without a tenant id the server tells the keys' tenant (GET /auth/tenants/current).
            let keysOnly = ["HERALD_PUBLIC_KEY": publicKey, "HERALD_SECRET_KEY": secretKey]
            #expect(await TemplatesSyncCommand.run(["push", "--dir", dir, "--url", url], environment: keysOnly) == 0)
            #expect(await TemplatesSyncCommand.run(["push", "--dir", dir, "--url", url, "--dry-run"], environment: environment) == 0)
            try fixture.write("{{#open}}", to: "welcome/sms/text.mustache")
            #expect(await TemplatesSyncCommand.run(["push", "--dir", dir, "--url", url], environment: environment) == 1)
            #expect(await TemplatesSyncCommand.run(["push", "--url", url], environment: environment) == 64)
            #expect(await TemplatesSyncCommand.run(["pull", "--dir", dir, "--draft"], environment: environment) == 64)
            #expect(await TemplatesSyncCommand.run(["pull", "--dir", dir, "--url", url], environment: [:]) == 78)
            // Wrong keys: the server's 401 is a failure that names the request, not the key.
            let wrong = ["PXYZ_PUBLIC_KEY": publicKey, "PXYZ_SECRET_KEY": "sk_wrong", "HERALD_TENANT_ID": fixture.tenant.id]
            #expect(await TemplatesSyncCommand.run(["pull", "--dir", dir, "--url", url], environment: wrong) == 1)
        }
    }

    @Test func errorsNeverCarryTheSecretKey() async throws {
        let client = HeraldAPIClient(baseURL: URL(string: "http://127.0.0.1:1")!,
                                     credentials: TenantCredentials(publicKey: "pk_x", secretKey: "sk_never_printed"))
        await #expect {
            _ = try await client.expect("GET", "/notifications/templates/x")
        } throws: { error in
            "\(error)".contains("GET /notifications/templates/x") && !"\(error)".contains("sk_never_printed")
        }
    }

    @Test func theServersIssuesAreNamedByFileStructuredOrNot() {
        let seed = TemplateSeed(name: "welcome", type: .email, subject: "x", body: ["html": "x"])
        let structured: JSONValue = ["status": "error", "errors": ["body.locales.de.html:3:7: unclosed tag"], "issues": [
            ["message": "body.locales.de.html:3:7: unclosed tag", "part": "html", "locale": "de", "line": 3, "column": 7,
             "detail": "unclosed tag"],
            ["message": "subject:1:4: unclosed tag", "part": "subject", "locale": nil, "line": 1, "column": 4, "detail": "unclosed tag"],
        ]]
        #expect(TemplateSync.issues(in: structured).map { TemplateLibrary.describe($0, in: seed) }
                == ["welcome/email/de: html.mustache:3:7: unclosed tag", "welcome/email: subject.mustache:1:4: unclosed tag"])
        let lines: JSONValue = ["status": "error", "errors": ["body.text:2:1: unclosed section \"x\"", "body.html: Required"]]
        #expect(TemplateSync.issues(in: lines).map { TemplateLibrary.describe($0, in: seed) }
                == [#"welcome/email: text.mustache:2:1: unclosed section "x""#, "welcome/email: html.mustache: Required"])
    }

    @Test func keysComeFromEitherEnvironmentName() {
        let herald = TenantCredentials(environment: ["HERALD_PUBLIC_KEY": "pk_a", "HERALD_SECRET_KEY": "sk_a",
                                                     "PXYZ_PUBLIC_KEY": "pk_b", "PXYZ_SECRET_KEY": "sk_b"])
        #expect(herald?.publicKey == "pk_a")
        let pxyz = TenantCredentials(environment: ["PXYZ_PUBLIC_KEY": "pk_b", "PXYZ_SECRET_KEY": "sk_b"])
        #expect(pxyz?.secretKey == "sk_b")
        #expect(TenantCredentials(environment: ["HERALD_PUBLIC_KEY": "pk_a"]) == nil)
    }
}

/// The parts that need the studio's API extensions: drafts and sample data.
@Suite struct TemplateSyncStudioTests {
    typealias Fixture = TemplateSyncTests.Fixture

    @Test func aDraftPushLeavesThePublishedTemplateUnchanged() async throws {
        try await APIHarness.with { api in
            let fixture = try await Fixture.make(api, email: "sync-draft@example.com")
            defer { fixture.remove() }
            _ = try await fixture.sync.pull()
            let versions = try await fixture.versionCounts()
            let published = try #require(try await fixture.template("welcome/email"))
            let id = try #require(published["id"]?.stringValue)
            try fixture.write("<p>Draft for {{tenant.name}}</p>", to: "welcome/email/de/html.mustache")

            let report = try await fixture.sync.push(.init(draft: true))
            #expect(report.problems.isEmpty, "\(report.problems)")
            #expect(report.writes == 1)
            #expect(report.lines.contains("welcome/email: drafted (de/html.mustache)"), "\(report.lines)")
            #expect(try await fixture.template("welcome/email")?["body"] == published["body"])
            #expect(try await fixture.versionCounts() == versions)
            let draft = try await api.call("GET", "/api/v0/notifications/templates/\(id)/draft", fixture.tenant.keys).json()
            #expect(draft["data"]?["body"]?["locales"]?["de"]?["html"] == "<p>Draft for {{tenant.name}}</p>")

            // The draft is what a second draft push compares with: nothing to send.
            #expect(try await fixture.sync.push(.init(draft: true)).writes == 0)
            // Publishing the folder is one PUT and one version.
            let publish = try await fixture.sync.push()
            #expect(publish.writes == 1)
            #expect(try await fixture.template("welcome/email")?["body"]?["locales"]?["de"]?["html"]
                    == "<p>Draft for {{tenant.name}}</p>")
            #expect(try await fixture.versionCounts()["welcome/email"] == (versions["welcome/email"] ?? 0) + 1)
        }
    }

    @Test func sampleDataTravelsInSampleDataJSON() async throws {
        try await APIHarness.with { api in
            let fixture = try await Fixture.make(api, email: "sync-sample@example.com")
            defer { fixture.remove() }
            _ = try await fixture.sync.pull()
            let file = "\(fixture.directory)/\(TemplateLibrary.sampleDataFile)"
            let pulled = try JSONValue(parsing: Array(try #require(FileManager.default.contents(atPath: file))))
            // The built-in templates' sample data, as a tenant's copy keeps it (tenant and brand come from the tenant).
            let repositoryFile = try JSONValue(parsing: Array(try #require(FileManager.default.contents(
                atPath: "\(TemplateSyncTests.repositoryTemplates)/\(TemplateLibrary.sampleDataFile)"))))
            var repositoryObject = JSONObject()
            for (name, sample) in repositoryFile.objectValue ?? [:] {
                repositoryObject[name] = TemplateLibrary.tenantSample(sample)
            }
            let repository = JSONValue.object(repositoryObject)
            #expect(pulled == repository)

            var edited = try #require(pulled.objectValue)
            edited["welcome/sms"] = ["tenant": ["name": "Kurz"]]
            try Data(JSONValue.object(edited).encoded(prettyPrinted: true)).write(to: URL(fileURLWithPath: file))
            let versions = try await fixture.versionCounts()
            let report = try await fixture.sync.push()
            #expect(report.problems.isEmpty, "\(report.problems)")
            #expect(report.writes == 1)
            #expect(report.lines.contains("welcome/sms: updated (sample-data.json)"), "\(report.lines)")
            #expect(try await fixture.versionCounts() == versions)
            let id = try #require(try await fixture.template("welcome/sms")?["id"]?.stringValue)
            let sample = try await api.call("GET", "/api/v0/notifications/templates/\(id)/sample", fixture.tenant.keys).json()
            #expect(sample["data"] == ["tenant": ["name": "Kurz"]])

            // Pulled again, the two types of `welcome` differ and get their own keys.
            _ = try await fixture.sync.pull()
            let again = try JSONValue(parsing: Array(try #require(FileManager.default.contents(atPath: file))))
            #expect(again["welcome"] == nil)
            #expect(again["welcome/sms"] == ["tenant": ["name": "Kurz"]])
            #expect(again["welcome/email"] == repository["welcome"])
            #expect(try await fixture.sync.push().writes == 0)
        }
    }
}
