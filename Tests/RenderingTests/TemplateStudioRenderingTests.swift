import Foundation
import JSON
import Rendering
import Testing

/// The Rendering pieces under the template studio: where an issue is, how an
/// SMS is measured, and `templates check` rendering with the folder's sample data.
@Suite struct TemplateStudioRenderingTests {
    @Test func issuesNameTheirPartAndLocale() {
        let issues = TemplateDocument(type: .email, subject: "Hi {{name", body: [
            "html": "<p>{{#a}}</p>", "locales": ["de": ["text": "x\n {{/b}}"], "fr": 1],
        ]).issues
        let located = issues.map { "\($0.location.part)|\($0.location.locale ?? "-")|\($0.line):\($0.column)" }
        #expect(located.contains("subject|-|1:4"), "\(located)")
        #expect(located.contains { $0.hasPrefix("html|-|1:") }, "\(located)")
        #expect(located.contains("text|de|2:2"), "\(located)")
        #expect(located.contains("locales|fr|0:0"), "\(located)")
    }

    @Test func smsMeasureCountsSegmentsAndNamesUCS2Characters() {
        #expect(SMSMeasure("").segments == 0)
        let one = SMSMeasure(String(repeating: "a", count: 160))
        #expect(one.encoding == .gsm7 && one.segments == 1 && one.length == 160)
        // Extension characters take two septets: 80 euro signs fill one message, 81 need two parts.
        #expect(SMSMeasure(String(repeating: "€", count: 80)).segments == 1)
        #expect(SMSMeasure(String(repeating: "€", count: 81)).segments == 2)
        let three = SMSMeasure(String(repeating: "a", count: 307))
        #expect(three.segments == 3)
        let ucs2 = SMSMeasure("Grüße 😀 aus Łódź 😀")
        #expect(ucs2.encoding == .ucs2 && ucs2.ucs2Characters == ["😀", "Ł", "ó", "ź"])
        #expect(ucs2.length == "Grüße 😀 aus Łódź 😀".utf16.count && ucs2.segments == 1)
        #expect(SMSMeasure(String(repeating: "ł", count: 71)).segments == 2)
    }

    @Test func checkRendersWithTheFolderSampleData() throws {
        let folder = NSTemporaryDirectory() + "herald-check-sample-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/greet/sms", withIntermediateDirectories: true)
        try "Hi {{user.name}}".write(toFile: folder + "/greet/sms/text.mustache", atomically: true, encoding: .utf8)
        func check(sample: String) throws -> [String] {
            try sample.write(toFile: folder + "/sample-data.json", atomically: true, encoding: .utf8)
            return TemplateLibrary.checkReport(directory: folder).problems
        }
        #expect(try check(sample: #"{"greet":{"user":{"name":"Ann"}}}"#) == [])
        // Only the sample's long name makes the rendered text too long for one SMS.
        let long = String(repeating: "n", count: 170)
        let problems = try check(sample: #"{"greet":{"user":{"name":"\#(long)"}}}"#)
        #expect(problems.contains { $0.contains("more than 160") }, "\(problems)")
    }

    @Test func seededSamplesLeaveTenantAndBrandToTheTenant() {
        let samples = TemplateLibrary.samples(directory: templatesDirectory)
        let invitation = TemplateLibrary.tenantSample(samples["tenant-invitation"] ?? [:])
        #expect(invitation["tenant"] == nil && invitation["brand"] == nil)
        #expect(invitation["acceptUrl"]?.stringValue?.hasPrefix("https://") == true)
        #expect(JSONValue.object(["a": ["b": 1, "c": 2]]).merging(["a": ["c": 3], "d": nil])
                == ["a": ["b": 1, "c": 3], "d": nil])
    }
}
