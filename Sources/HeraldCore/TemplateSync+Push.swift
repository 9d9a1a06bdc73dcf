import Foundation
import JSON
import Rendering

extension TemplateSync {
    public struct PushOptions: Sendable {
        /// Print what would change, change nothing.
        public var dryRun = false
        /// Store changes as drafts (`PUT …/draft`) instead of publishing them.
        public var draft = false
        /// Delete templates the server has and the folder does not.
        public var prune = false

        public init(dryRun: Bool = false, draft: Bool = false, prune: Bool = false) {
            self.dryRun = dryRun
            self.draft = draft
            self.prune = prune
        }
    }

    /// What a push does with one template of the folder.
    struct PushStep: Sendable {
        var local: TemplateSeed
        var remote: RemoteTemplate?
        /// The `ETag` of the published template read for an update.
        var etag: String?
        /// Files that differ from the server's template (or its draft with `--draft`).
        var changedFiles: [String] = []
        /// The sample data to store, when it differs from the server's.
        var sample: JSONObject?

        var key: String { "\(local.name)/\(local.type.rawValue)" }
        var isCreate: Bool { remote == nil }
        var changesTemplate: Bool { isCreate || !changedFiles.isEmpty }
    }

    /// Checks the whole folder (scan, compile, partials, a render of each
    /// locale with its sample data, then the server's preview of each changed
    /// template) and only then changes anything: one problem and nothing is sent.
    public func push(_ options: PushOptions = PushOptions()) async throws(HeraldAPIError) -> TemplateSyncReport {
        var report = TemplateSyncReport()
        let scan = TemplateLibrary.scan(directory: directory)
        report.problems.append(contentsOf: scan.problems)
        report.warnings.append(contentsOf: scan.notes)
        var samples: JSONObject?
        switch TemplateLibrary.readSampleData(directory: directory) {
        case .success(let object)?: samples = object
        case .failure(let error)?: report.problems.append(contentsOf: error.problems)
        case nil: break
        }
        let remote = try await remoteTemplates()
        report.problems.append(contentsOf: PushValidation.check(scan.seeds, samples: samples ?? [:],
                                                                 remote: remote.map(\.seed)))
        guard report.problems.isEmpty else {
            report.lines.append("nothing pushed: \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s")")
            return report
        }

        let steps = try await plan(scan.seeds, samples: samples, remote: remote, options: options, report: &report)
        let localNames = Set(scan.seeds.map { "\($0.name)/\($0.type.rawValue)" })
        let extra = remote.filter { !localNames.contains($0.key) }
        for step in steps where step.changesTemplate {
            report.problems.append(contentsOf: try await serverProblems(step, localNames: Set(scan.seeds.map(\.name)),
                                                                        sample: samples.flatMap { TemplateLibrary.sample(for: step.local, in: $0) }))
        }
        guard report.problems.isEmpty else {
            report.lines.append("nothing pushed: \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s")")
            return report
        }
        if options.dryRun {
            report.lines.append(contentsOf: steps.map { describe($0, options, done: false) })
            for template in extra {
                report.lines.append("\(template.key): only on the server, " + (options.prune ? "would be deleted" : "kept"))
            }
            report.lines.append(summary(steps, options, deleted: options.prune ? extra.count : 0, dryRun: true))
            return report
        }
        for step in steps {
            guard try await apply(step, options, report: &report) else {
                report.lines.append("stopped: later templates were not pushed")
                return report
            }
            report.lines.append(describe(step, options, done: true))
        }
        var deleted = 0
        for template in extra {
            guard options.prune else {
                report.warnings.append("\(template.key): only on the server, kept (--prune deletes it)")
                continue
            }
            let response = try await client.send("DELETE", "/notifications/templates/\(template.id)")
            guard response.status == 200 else {
                report.problems.append("\(template.key): not deleted: \(response.status): "
                    + response.errorMessages.joined(separator: "; "))
                continue
            }
            report.writes += 1
            deleted += 1
            report.lines.append("\(template.key): deleted")
        }
        report.lines.append(summary(steps, options, deleted: deleted, dryRun: false))
        return report
    }

    /// Compares each local template with the server's: creates, changed files, sample data.
    /// Templates whose list entry differs are read again for their `ETag`, and compared with that read.
    private func plan(_ seeds: [TemplateSeed], samples: JSONObject?, remote: [RemoteTemplate], options: PushOptions,
                      report: inout TemplateSyncReport) async throws(HeraldAPIError) -> [PushStep] {
        let byKey = Dictionary(remote.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var remoteSamples: [String: JSONObject]?
        if samples != nil {
            let listed = seeds.compactMap { byKey["\($0.name)/\($0.type.rawValue)"]?.id }
            remoteSamples = try await self.remoteSamples(ids: listed)
            if remoteSamples == nil { report.warnings.append("the server has no sample data endpoint: sample data not pushed") }
        }
        var steps: [PushStep] = []
        for seed in seeds {
            var step = PushStep(local: seed, remote: byKey["\(seed.name)/\(seed.type.rawValue)"])
            if let found = step.remote {
                var base = found.seed
                if options.draft, let draft = try await remoteDraft(found) {
                    base = draft
                } else if !seed.changedFiles(from: base).isEmpty && !options.draft {
                    if let fresh = try await remoteTemplate(id: found.id) {
                        base = fresh.template.seed
                        step.etag = fresh.etag
                    }
                }
                step.changedFiles = seed.changedFiles(from: base)
            }
            if let remoteSamples, let samples {
                let wanted = TemplateLibrary.sample(for: seed, in: samples)?.objectValue ?? [:]
                if let found = step.remote {
                    if remoteSamples[found.id] != wanted { step.sample = wanted }
                } else if !wanted.isEmpty {
                    step.sample = wanted
                }
            }
            steps.append(step)
        }
        return steps
    }

    /// The draft as a seed, or nil when the template has none.
    private func remoteDraft(_ template: RemoteTemplate) async throws(HeraldAPIError) -> TemplateSeed? {
        let response = try await client.expect("GET", "/notifications/templates/\(template.id)/draft")
        guard let draft = response.data, case .object(let object) = draft else { return nil }
        var seed = template.seed
        if let subject = object["subject"] { seed.subject = subject.stringValue }
        if let body = object["body"], !body.isNull { seed.body = body }
        return seed
    }

    /// Sends one step; false when the server refused it (the problem is in the report).
    private func apply(_ step: PushStep, _ options: PushOptions,
                       report: inout TemplateSyncReport) async throws(HeraldAPIError) -> Bool {
        let subject: JSONValue = step.local.subject.map { .string($0) } ?? .null
        var id = step.remote?.id
        if step.isCreate {
            var body: JSONObject = ["tenantId": .string(tenantId), "type": .string(step.local.type.rawValue),
                                    "name": .string(step.local.name), "body": step.local.document.body]
            if let text = step.local.subject { body["subject"] = .string(text) }
            let response = try await client.send("POST", "/notifications/templates", json: .object(body))
            guard response.status == 200 else { return refused(step, response, &report) }
            report.writes += 1
            id = response.json?["id"]?.stringValue
        } else if let templateId = id, !step.changedFiles.isEmpty {
            let body: JSONValue = ["subject": subject, "body": step.local.document.body]
            let response: HeraldAPIResponse
            if options.draft {
                response = try await client.send("PUT", "/notifications/templates/\(templateId)/draft", json: body)
            } else {
                response = try await client.send("PUT", "/notifications/templates/\(templateId)", json: body,
                                                 headers: step.etag.map { [("If-Match", $0)] } ?? [])
            }
            guard response.status == 200 else { return refused(step, response, &report) }
            report.writes += 1
        }
        if let sample = step.sample, let templateId = id {
            let response = try await client.send("PUT", "/notifications/templates/\(templateId)/sample",
                                                 json: ["data": .object(sample)])
            if response.status == 404 {  // a server without sample data (nothing listed to ask it first)
                report.warnings.append("\(step.key): the server has no sample data endpoint: sample data not pushed")
                return true
            }
            guard response.status == 200 else { return refused(step, response, &report) }
            report.writes += 1
        }
        return true
    }

    private func refused(_ step: PushStep, _ response: HeraldAPIResponse, _ report: inout TemplateSyncReport) -> Bool {
        let reason = response.status == 412 ? ["changed on the server since it was read; pull, merge and push again"]
                                            : response.errorMessages
        report.problems.append("\(step.key): \(response.status): " + reason.joined(separator: "; "))
        return false
    }

    private func describe(_ step: PushStep, _ options: PushOptions, done: Bool) -> String {
        var files = step.changedFiles
        if step.sample != nil { files.append(TemplateLibrary.sampleDataFile) }
        if step.isCreate { return "\(step.key): " + (done ? "created" : "would be created") }
        if files.isEmpty { return "\(step.key): unchanged" }
        let verb = options.draft && !step.changedFiles.isEmpty ? "drafted" : "updated"
        return "\(step.key): " + (done ? verb : "would be \(verb)") + " (\(files.joined(separator: ", ")))"
    }

    private func summary(_ steps: [PushStep], _ options: PushOptions, deleted: Int, dryRun: Bool) -> String {
        let created = steps.filter(\.isCreate).count
        let updated = steps.filter { !$0.isCreate && (!$0.changedFiles.isEmpty || $0.sample != nil) }.count
        let unchanged = steps.count - created - updated
        var parts = ["\(created) created", "\(updated) \(options.draft ? "drafted or updated" : "updated")", "\(unchanged) unchanged"]
        if deleted > 0 { parts.append("\(deleted) deleted") }
        return (dryRun ? "dry run, nothing changed: " : "") + parts.joined(separator: ", ")
    }
}
