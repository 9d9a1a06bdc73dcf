import Foundation
import JSON
import Rendering

/// `herald templates pull/push`: a tenant's templates as a folder in the
/// layout of the repository's `templates/` (templates/README.md), sample
/// data in its `sample-data.json`. Only the public API, with the tenant's keys.
public struct TemplateSync: Sendable {
    public let client: HeraldAPIClient
    public let tenantId: String
    public let directory: String

    public init(client: HeraldAPIClient, tenantId: String, directory: String) {
        self.client = client
        self.tenantId = tenantId
        self.directory = directory
    }

    /// The tenant the key pair belongs to: `GET /auth/tenants/current`.
    public static func tenantId(of client: HeraldAPIClient) async throws(HeraldAPIError) -> String {
        let response: HeraldAPIResponse
        do {
            response = try await client.expect("GET", "/auth/tenants/current")
        } catch where error.status == 404 {
            var named = error
            named.messages.append("this server cannot tell the keys' tenant: pass --tenant or set HERALD_TENANT_ID")
            throw named
        }
        guard let id = response.json?["id"]?.stringValue ?? response.data?["id"]?.stringValue else {
            throw HeraldAPIError(code: .notJSON, request: "GET /auth/tenants/current", status: response.status,
                                 messages: ["no tenant id in the answer"])
        }
        return id
    }

    /// A template on the server: its id and its parts as a seed.
    struct RemoteTemplate: Sendable {
        var id: String
        var seed: TemplateSeed
        var key: String { "\(seed.name)/\(seed.type.rawValue)" }
    }

    /// Every template of the tenant, through the list's pages.
    func remoteTemplates() async throws(HeraldAPIError) -> [RemoteTemplate] {
        var templates: [RemoteTemplate] = []
        var cursor: String?
        repeat {
            var path = "/tenants/\(tenantId)/notifications/templates?perPage=100"
            if let cursor { path += "&cursor=" + (cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor) }
            let page = try await client.expect("GET", path)
            for item in page.data?.arrayValue ?? [] {
                if let template = Self.remote(item) { templates.append(template) }
            }
            cursor = page.json?["meta"]?["next"]?.stringValue
        } while cursor != nil
        return templates.sorted { ($0.seed.name, $0.seed.type) < ($1.seed.name, $1.seed.type) }
    }

    /// A template as `GET /notifications/templates/{id}` answers it, with the `ETag` to send back.
    func remoteTemplate(id: String) async throws(HeraldAPIError) -> (template: RemoteTemplate, etag: String?)? {
        let response = try await client.expect("GET", "/notifications/templates/\(id)")
        return response.json.flatMap(Self.remote).map { ($0, response.header("etag")) }
    }

    static func remote(_ item: JSONValue) -> RemoteTemplate? {
        guard let id = item["id"]?.stringValue, let name = item["name"]?.stringValue,
              let type = item["type"]?.stringValue.flatMap(TemplateType.init(rawValue:)) else { return nil }
        return RemoteTemplate(id: id, seed: TemplateSeed(name: name, type: type, subject: item["subject"]?.stringValue,
                                                         body: item["body"] ?? .object([:])))
    }

    /// The template's sample data; nil when the server has no sample endpoint (a 404 for a template it listed).
    func remoteSample(id: String) async throws(HeraldAPIError) -> JSONObject? {
        let path = "/notifications/templates/\(id)/sample"
        let response = try await client.send("GET", path)
        if response.status == 404 { return nil }
        guard response.status == 200, let data = response.data else {
            throw HeraldAPIError(code: .status, request: "GET \(path)", status: response.status, messages: response.errorMessages)
        }
        return data.objectValue ?? [:]
    }
}

extension TemplateSync {
    /// Sample data of many templates at once, a few requests in flight (one
    /// each would be a round trip per template); nil when the server has no
    /// sample endpoint.
    func remoteSamples(ids: [String]) async throws(HeraldAPIError) -> [String: JSONObject]? {
        do {
            return try await withThrowingTaskGroup(of: (String, JSONObject?).self) { group in
                var waiting = ids.makeIterator()
                for _ in 0..<Self.concurrentReads {
                    guard let id = waiting.next() else { break }
                    group.addTask { (id, try await self.remoteSample(id: id)) }
                }
                var samples: [String: JSONObject] = [:]
                var supported = true
                while let (id, sample) = try await group.next() {
                    if let sample { samples[id] = sample } else { supported = false }
                    if let next = waiting.next() { group.addTask { (next, try await self.remoteSample(id: next)) } }
                }
                return supported ? samples : nil
            }
        } catch let error as HeraldAPIError {
            throw error
        } catch {
            throw HeraldAPIError(code: .unreachable, request: "GET /notifications/templates/…/sample", status: nil,
                                 messages: ["\(error)"])
        }
    }

    /// Requests in flight at once: enough to hide the round trips, few enough for a small server.
    static let concurrentReads = 8
}

/// What a pull or push did, for the command to print.
public struct TemplateSyncReport: Sendable {
    /// Standard output: one line per template, then a summary.
    public var lines: [String] = []
    /// Standard error, without failing: notes from the scan, what was skipped.
    public var warnings: [String] = []
    /// Standard error: each problem that failed the run, `name/type[/locale]: file:line:column: message`.
    public var problems: [String] = []
    /// Requests that changed something on the server.
    public var writes = 0

    public var succeeded: Bool { problems.isEmpty }
}
