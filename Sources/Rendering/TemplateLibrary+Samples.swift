import Foundation
import JSON

/// Sample data lives in one `sample-data.json` at the top of the library
/// folder, keyed by template name: one entry serves every type of that name.
/// A `name/type` key (`welcome/sms`) holds a type's own data and wins over
/// the name's, for a tenant whose email and SMS samples differ.
extension TemplateLibrary {
    public static let sampleDataFile = "sample-data.json"

    /// The seed's sample data: its `name/type` entry, else its name's.
    public static func sample(for seed: TemplateSeed, in samples: JSONObject) -> JSONValue? {
        samples["\(seed.name)/\(seed.type.rawValue)"] ?? samples[seed.name]
    }

    /// The folder's `sample-data.json`: nil when there is none, else its
    /// object or the problem that stops it being read.
    public static func readSampleData(directory: String) -> Result<JSONObject, TemplateLibraryError>? {
        let file = "\(directory)/\(sampleDataFile)"
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        do {
            guard case .object(let object) = try JSONValue(parsing: Array(data)) else {
                return .failure(TemplateLibraryError(problems: ["\(sampleDataFile): expected an object of template names"]))
            }
            for (key, value) in object where value.objectValue == nil {
                return .failure(TemplateLibraryError(problems: ["\(sampleDataFile): \(key): expected an object"]))
            }
            return .success(object)
        } catch {
            return .failure(TemplateLibraryError(problems: ["\(sampleDataFile): \(error)"]))
        }
    }

    /// The file's object for these templates' sample data: by name when all
    /// types of a name agree, else by `name/type`. Empty samples are written
    /// too, so `templates check` finds an entry for every template.
    public static func sampleDataDocument(_ samples: [(seed: TemplateSeed, data: JSONObject)]) -> JSONObject {
        var byName: [String: [(type: TemplateType, data: JSONObject)]] = [:]
        for (seed, data) in samples { byName[seed.name, default: []].append((seed.type, data)) }
        var document = JSONObject()
        for name in byName.keys.sorted() {
            let entries = byName[name] ?? []
            if let first = entries.first, entries.allSatisfy({ $0.data == first.data }) {
                document[name] = .object(first.data)
                continue
            }
            for entry in entries.sorted(by: { $0.type < $1.type }) {
                document["\(name)/\(entry.type.rawValue)"] = .object(entry.data)
            }
        }
        return document
    }

    /// Writes `sample-data.json` pretty-printed; removes it when there is nothing to hold.
    public static func writeSampleData(_ document: JSONObject, directory: String) throws {
        let file = "\(directory)/\(sampleDataFile)"
        guard !document.isEmpty else {
            if FileManager.default.fileExists(atPath: file) { try FileManager.default.removeItem(atPath: file) }
            return
        }
        let data = Data(JSONValue.object(document).encoded(prettyPrinted: true) + [UInt8(ascii: "\n")])
        if FileManager.default.contents(atPath: file) == data { return }
        try data.write(to: URL(fileURLWithPath: file), options: .atomic)
    }

    /// `sample-data.json` of the folder as template name → variables; empty
    /// when the file is absent or not an object of objects (`check` reports that).
    public static func samples(directory: String) -> [String: JSONValue] {
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(sampleDataFile)"),
              case .object(let object)? = try? JSONValue(parsing: Array(data)) else { return [:] }
        var samples: [String: JSONValue] = [:]
        for (name, value) in object where value.objectValue != nil { samples[name] = value }
        return samples
    }

    /// A sample as a tenant's copy keeps it: without `tenant` and `brand`,
    /// which every preview and send fills from the tenant itself
    /// (`Store.sendContext`), so the studio shows the tenant's own name.
    public static func tenantSample(_ sample: JSONValue) -> JSONValue {
        guard case .object(var object) = sample else { return .object(JSONObject()) }
        object["tenant"] = nil
        object["brand"] = nil
        return .object(object)
    }
}
