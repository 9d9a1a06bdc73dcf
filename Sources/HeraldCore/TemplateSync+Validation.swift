import Foundation
import JSON
import Rendering

/// The local half of a push's check, with the Rendering module the server
/// runs: every template compiles, its partials and layouts resolve among the
/// folder's and the server's templates, and each locale renders with its sample data.
enum PushValidation {
    static func check(_ seeds: [TemplateSeed], samples: JSONObject, remote: [TemplateSeed]) -> [String] {
        var problems: [String] = []
        var compiled: [(seed: TemplateSeed, template: CompiledTemplate)] = []
        for seed in seeds {
            do {
                compiled.append((seed, try seed.document.compile()))
            } catch {
                problems.append(contentsOf: error.issues.map { TemplateLibrary.describe($0, in: seed) })
            }
        }
        // The folder's templates stand in for the server's of the same name and type.
        let local = Set(seeds.map { "\($0.name)/\($0.type.rawValue)" })
        var candidates = compiled.map { (name: $0.seed.name, template: $0.template) }
        for seed in remote where !local.contains("\(seed.name)/\(seed.type.rawValue)") {
            if let template = try? seed.document.compile() { candidates.append((seed.name, template)) }
        }
        for (seed, template) in compiled {
            let partials = TemplateDictionary(candidates, preferring: seed.type)
            let unresolved = template.unresolvedPartials(in: partials)
            problems.append(contentsOf: unresolved.map { TemplateLibrary.describe($0, in: seed) })
            guard unresolved.isEmpty else { continue }
            let data = TemplateLibrary.sample(for: seed, in: samples) ?? .object([:])
            for locale in [nil] + template.locales {
                do {
                    _ = try template.render(variables: data, locale: locale, partials: partials)
                } catch {
                    problems.append(TemplateLibrary.describe(error.issue, in: seed))
                }
            }
        }
        var seen: Set<String> = []
        return problems.filter { seen.insert($0).inserted }
    }
}

extension TemplateSync {
    /// The server's own check of a template about to be written: its preview
    /// compiles every part and renders the default locale. A partial the server
    /// lacks because this push creates it is not a problem.
    func serverProblems(_ step: PushStep, localNames: Set<String>, sample: JSONValue?) async throws(HeraldAPIError) -> [String] {
        var request: JSONObject = ["tenantId": .string(tenantId), "type": .string(step.local.type.rawValue),
                                   "body": step.local.document.body]
        if let subject = step.local.subject { request["subject"] = .string(subject) }
        if let sample, case .object = sample { request["variables"] = sample }
        let response = try await client.expect("POST", "/notifications/templates/preview", json: .object(request))
        guard response.json?["status"]?.stringValue == "error" else { return [] }
        let issues = Self.issues(in: response.json ?? .null)
        return issues.filter { issue in
            !localNames.contains { issue.message.hasPrefix("unknown partial \"\($0)\"") }
        }.map { "\(TemplateLibrary.describe($0, in: step.local)) (server)" }
    }

    /// The preview's issues: structured (`part`, `locale`, `line`, `column`, `detail`) when the
    /// server gives them, else parsed from its one-line `errors` (`body.html:3:7: message`).
    static func issues(in answer: JSONValue) -> [TemplateIssue] {
        if let structured = answer["issues"]?.arrayValue, !structured.isEmpty {
            return structured.map { item in
                let part = item["part"]?.stringValue ?? ""
                let path: String
                if part == "subject" && item["locale"]?.stringValue == nil {
                    path = "subject"
                } else if let locale = item["locale"]?.stringValue {
                    path = "body.locales.\(locale).\(part)"
                } else {
                    path = "body.\(part)"
                }
                return TemplateIssue(part: path, line: Int(item["line"]?.intValue ?? 0), column: Int(item["column"]?.intValue ?? 0),
                                     message: item["detail"]?.stringValue ?? item["message"]?.stringValue ?? "")
            }
        }
        return (answer["errors"]?.arrayValue ?? []).compactMap(\.stringValue).map(parse)
    }

    /// `part:line:column: message` or `part: message`, as `TemplateIssue.description` writes them.
    static func parse(_ text: String) -> TemplateIssue {
        guard let colon = text.range(of: ": ") else { return TemplateIssue(part: "", message: text) }
        let head = text[..<colon.lowerBound].split(separator: ":", omittingEmptySubsequences: false)
        let message = String(text[colon.upperBound...])
        if head.count == 3, let line = Int(head[1]), let column = Int(head[2]) {
            return TemplateIssue(part: String(head[0]), line: line, column: column, message: message)
        }
        return TemplateIssue(part: String(text[..<colon.lowerBound]), message: message)
    }
}
