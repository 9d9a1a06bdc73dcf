import Foundation
import JSON

extension TemplateLibrary {
    /// `sample-data.json` of the folder as template name → variables; empty
    /// when the file is absent or not an object of objects (`check` reports that).
    public static func samples(directory: String) -> [String: JSONValue] {
        guard let data = FileManager.default.contents(atPath: "\(directory)/sample-data.json"),
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
