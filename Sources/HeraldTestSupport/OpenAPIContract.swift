import Foundation
import JSON

/// The pxyz OpenAPI contract, for checking that responses match it:
///
///     let contract = try OpenAPIContract.load()
///     let problems = contract.validate(method: "GET", path: "/api/v0/tenants/\(id)", status: 200, body: bytes)
///     #expect(problems.isEmpty, "\(problems)")
public struct OpenAPIContract: Sendable {
    /// One operation: an HTTP method on a templated path.
    public struct Operation: Sendable, Hashable {
        /// Upper case, e.g. `GET`.
        public let method: String
        /// The templated path without the base path, e.g. `/tenants/{id}`.
        public let path: String
        public let operationId: String
        /// Status key (`200`, `2XX`, `default`) → the response's JSON body schema,
        /// `$ref`s to `components.responses` already followed. A response without
        /// JSON content maps to nil.
        public let responses: [String: JSONValue?]
        /// Path segments; nil marks a `{parameter}`.
        fileprivate let template: [String?]

        init(method: String, path: String, operationId: String, responses: [String: JSONValue?]) {
            self.method = method
            self.path = path
            self.operationId = operationId
            self.responses = responses
            template = OpenAPIContract.segments(of: path).map { $0.hasPrefix("{") && $0.hasSuffix("}") ? nil : $0 }
        }

        /// The key that answers `status`: exact code, then range (`2XX`), then `default`.
        public func responseKey(status: Int) -> String? {
            ["\(status)", "\(status / 100)XX", "\(status / 100)xx", "default"].first { responses[$0] != nil }
        }

        /// The body schema for `status`, nil when the operation declares no response or no JSON body.
        public func responseSchema(status: Int) -> JSONValue? {
            responseKey(status: status).flatMap { responses[$0] ?? nil }
        }
    }

    /// The whole document, the root for `$ref`s.
    public let document: JSONValue
    /// The path of the first server URL, e.g. `/api/v0`; request paths may carry it.
    public let basePath: String
    /// Every operation in document order.
    public let operations: [Operation]

    public init(document: JSONValue) throws(OpenAPIContractError) {
        guard let paths = document["paths"]?.objectValue else { throw .malformed("no `paths` object") }
        self.document = document
        let serverURL = document["servers"]?.arrayValue?.first?["url"]?.stringValue ?? ""
        var base = URLComponents(string: serverURL)?.path ?? ""
        while base.hasSuffix("/") { base.removeLast() }
        self.basePath = base

        let validator = OpenAPISchemaValidator(root: document)
        let methods: Set = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var operations: [Operation] = []
        for (path, item) in paths {
            for (method, op) in item.objectValue ?? JSONObject() where methods.contains(method) {
                var responses: [String: JSONValue?] = [:]
                for (status, response) in op["responses"]?.objectValue ?? JSONObject() {
                    var response = response
                    if let ref = response["$ref"]?.stringValue {
                        guard let target = validator.resolve(ref) else {
                            throw .malformed("\(method.uppercased()) \(path) \(status): unresolvable $ref \(ref)")
                        }
                        response = target
                    }
                    responses[status] = Self.jsonSchema(of: response)
                }
                let id = op["operationId"]?.stringValue ?? "\(method) \(path)"
                operations.append(Operation(method: method.uppercased(), path: path, operationId: id, responses: responses))
            }
        }
        self.operations = operations
    }

    /// The schema of the response's JSON content (`application/json`, else any `+json`).
    private static func jsonSchema(of response: JSONValue) -> JSONValue? {
        guard let content = response["content"]?.objectValue else { return nil }
        if let schema = content["application/json"]?["schema"] { return schema }
        return content.first { $0.key.hasSuffix("+json") || $0.key.hasPrefix("application/json") }?.value["schema"]
    }

    // MARK: Loading

    /// Loads and caches (per file, process-wide) the contract at `path`; by default
    /// `HERALD_OPENAPI_PATH`, else `../shared/reference/pxyz-openapi.json` beside the repository.
    public static func load(path: String? = nil) throws(OpenAPIContractError) -> OpenAPIContract {
        let file = path ?? ProcessInfo.processInfo.environment["HERALD_OPENAPI_PATH"] ?? defaultPath
        return try ContractCache.shared.contract(at: URL(fileURLWithPath: file).standardizedFileURL.path)
    }

    /// Three levels up from Sources/HeraldTestSupport/ is the repository root
    /// (symlinks resolved first, so a package that links this folder in works too).
    public static var defaultPath: String {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("../shared/reference/pxyz-openapi.json").standardizedFileURL.path
    }

    fileprivate static func parse(file: String) throws(OpenAPIContractError) -> OpenAPIContract {
        guard let data = FileManager.default.contents(atPath: file) else { throw .unreadable(file) }
        let document: JSONValue
        do { document = try JSONParser.parse([UInt8](data)) } catch { throw .invalidJSON(file, error) }
        return try OpenAPIContract(document: document)
    }

    // MARK: Matching

    /// The operation serving a concrete request, e.g. `GET /api/v0/tenants/c123…`.
    /// The base path and any query string are optional; literal segments beat
    /// parameters, leftmost first (`/tenants/slug/{slug}` over `/tenants/{id}`).
    public func operation(method: String, path: String) -> Operation? {
        var path = String(path.prefix { $0 != "?" && $0 != "#" })
        if !basePath.isEmpty, path == basePath || path.hasPrefix(basePath + "/") { path.removeFirst(basePath.count) }
        let requested = Self.segments(of: path).map { $0.removingPercentEncoding ?? $0 }
        let method = method.uppercased()
        var best: (operation: Operation, literals: [Bool])?
        for operation in operations where operation.method == method {
            let template = operation.template
            guard template.count == requested.count,
                  zip(template, requested).allSatisfy({ $0 == nil || $0 == $1 }) else { continue }
            let literals = template.map { $0 != nil }
            if let current = best, !Self.morePrecise(literals, than: current.literals) { continue }
            best = (operation, literals)
        }
        return best?.operation
    }

    /// At the first position where the kinds differ, the literal segment wins.
    private static func morePrecise(_ a: [Bool], than b: [Bool]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return x }
        return false
    }

    fileprivate static func segments(of path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    // MARK: Validation

    /// Problems with a response body (`<JSON pointer>: <message>`); empty when it conforms.
    public func validate(method: String, path: String, status: Int, body: [UInt8]) -> [String] {
        let schema: JSONValue
        switch expectedBody(method: method, path: path, status: status) {
        case .problem(let problem): return [problem]
        case .anything: return []
        case .schema(let s): schema = s
        }
        do { return validate(value: try JSONParser.parse(body), against: schema) } catch {
            return [body.isEmpty ? "(root): body is empty; expected JSON" : "(root): body is not JSON: \(error)"]
        }
    }

    public func validate(method: String, path: String, status: Int, body: String) -> [String] {
        validate(method: method, path: path, status: status, body: Array(body.utf8))
    }

    /// Problems with an already parsed response body.
    public func validate(method: String, path: String, status: Int, value: JSONValue) -> [String] {
        switch expectedBody(method: method, path: path, status: status) {
        case .problem(let problem): return [problem]
        case .anything: return []
        case .schema(let schema): return validate(value: value, against: schema)
        }
    }

    private enum ExpectedBody { case problem(String), anything, schema(JSONValue) }

    /// What the contract says a response body must be; `anything` when it declares no JSON content.
    private func expectedBody(method: String, path: String, status: Int) -> ExpectedBody {
        guard let operation = operation(method: method, path: path) else {
            return .problem("no operation in the contract for \(method.uppercased()) \(path)")
        }
        guard operation.responseKey(status: status) != nil else {
            return .problem("\(operation.operationId) declares no response for status \(status)")
        }
        return operation.responseSchema(status: status).map(ExpectedBody.schema) ?? .anything
    }

    /// Problems with `value` against any schema; `$ref`s resolve in this document.
    public func validate(value: JSONValue, against schema: JSONValue) -> [String] {
        OpenAPISchemaValidator(root: document).validate(value, against: schema)
    }
}

public enum OpenAPIContractError: Error, Sendable, CustomStringConvertible {
    case unreadable(String)
    case invalidJSON(String, JSONError)
    case malformed(String)

    public var description: String {
        switch self {
        case .unreadable(let file): return "cannot read the OpenAPI contract at \(file)"
        case .invalidJSON(let file, let error): return "the OpenAPI contract at \(file) is not JSON: \(error)"
        case .malformed(let why): return "malformed OpenAPI contract: \(why)"
        }
    }
}

/// Parsed contracts by file, so the 600 KB document is read once per test process.
private final class ContractCache: @unchecked Sendable {
    static let shared = ContractCache()
    private let lock = NSLock()
    private var contracts: [String: OpenAPIContract] = [:]

    func contract(at file: String) throws(OpenAPIContractError) -> OpenAPIContract {
        lock.lock()
        defer { lock.unlock() }
        if let cached = contracts[file] { return cached }
        let contract = try OpenAPIContract.parse(file: file)
        contracts[file] = contract
        return contract
    }
}
