import Foundation
import JSON
import Rendering

extension TemplateSync {
    /// Writes every template of the tenant into the folder, and their sample
    /// data into `sample-data.json`. Only reads from the server. Files are
    /// rewritten only when their bytes change; folders of templates the server
    /// does not have are left and named.
    public func pull() async throws(HeraldAPIError) -> TemplateSyncReport {
        var report = TemplateSyncReport()
        let remote = try await remoteTemplates()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            report.problems.append("\(directory): \(error.localizedDescription)")
            return report
        }
        var written: [RemoteTemplate] = []
        for template in remote {
            guard TemplateLibrary.isUsableFolderName(template.seed.name) else {
                report.problems.append("\(template.key): the name cannot be a folder name; not pulled")
                continue
            }
            do {
                try TemplateLibrary.write(template.seed, directory: directory)
                written.append(template)
                report.lines.append(template.key)
            } catch {
                report.problems.append(contentsOf: error.problems)
            }
        }
        try await pullSamples(written, report: &report)

        let names = Set(remote.map(\.key))
        for seed in TemplateLibrary.scan(directory: directory).seeds where !names.contains("\(seed.name)/\(seed.type.rawValue)") {
            report.warnings.append("\(seed.name)/\(seed.type.rawValue): not on the server (push creates it)")
        }
        report.lines.append("\(written.count) template\(written.count == 1 ? "" : "s") pulled into \(directory)")
        return report
    }

    /// `sample-data.json` from the templates' sample data. Entries for names
    /// the server does not have stay, so a pull keeps local-only templates' data.
    private func pullSamples(_ templates: [RemoteTemplate], report: inout TemplateSyncReport) async throws(HeraldAPIError) {
        guard let byId = try await remoteSamples(ids: templates.map(\.id)) else {
            report.warnings.append("the server has no sample data endpoint: \(TemplateLibrary.sampleDataFile) left as it is")
            return
        }
        let samples = templates.map { (seed: $0.seed, data: byId[$0.id] ?? [:]) }
        var document = TemplateLibrary.sampleDataDocument(samples)
        let pulledNames = Set(templates.map(\.seed.name))
        if case .success(let existing)? = TemplateLibrary.readSampleData(directory: directory) {
            for (key, value) in existing {
                let name = key.split(separator: "/", maxSplits: 1).first.map(String.init) ?? key
                if !pulledNames.contains(name) { document[key] = value }
            }
        }
        do {
            try TemplateLibrary.writeSampleData(document, directory: directory)
        } catch {
            report.problems.append("\(TemplateLibrary.sampleDataFile): \(error.localizedDescription)")
        }
    }
}
