import JSON
import Mustache
import Testing

@Suite struct MustacheSpecTests {
    @Test func allSpecCasesPass() throws {
        let cases = try Spec.loadCases()
        #expect(cases.count == 184, "spec cases found in \(Spec.directory.path)")
        var failures: [String] = []
        for spec in cases {
            do {
                let partials = try MustachePartials(sources: spec.partials)
                let output = try MustacheTemplate(spec.template).render(spec.data, partials: partials).output
                if output != spec.expected {
                    failures.append("\(spec): expected \(spec.expected.debugDescription), got \(output.debugDescription)")
                }
            } catch {
                failures.append("\(spec): \(error)")
            }
        }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) spec cases failed")
    }
}
