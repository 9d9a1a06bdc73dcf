import HTTP
import JSON
import Store

/// A request as handlers see it: the parts of the HTTP request they need,
/// the route's path parameters, and lazily parsed JSON.
public struct APIRequest: Sendable {
    public let method: String
    public let path: String
    public let parameters: [String: String]
    public let query: [String: String]
    public let headers: HTTPHeaders
    public let body: [UInt8]
    public let requestId: String
    /// The query as received, still encoded: a signature over the URL (Twilio's) needs it as sent.
    public let rawQuery: String

    public init(method: String, path: String, parameters: [String: String], query: [String: String],
                headers: HTTPHeaders, body: [UInt8], requestId: String, rawQuery: String = "") {
        self.rawQuery = rawQuery
        self.method = method
        self.path = path
        self.parameters = parameters
        self.query = query
        self.headers = headers
        self.body = body
        self.requestId = requestId
    }

    /// The first header of that name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first(name)
    }

    /// A path parameter that must be an id; a malformed one can name nothing, so 404.
    func id(_ name: String = "id") throws -> String {
        guard let value = parameters[name], Format.isId(value) else { throw APIError.notFound }
        return value
    }

    /// The body as a JSON object: 400 PARSE_ERROR when it is not JSON, 400 when not an object.
    func jsonObject() throws -> JSONObject {
        guard !body.isEmpty else { throw APIError(.badRequest, "Input validation failed", issues: ["body: Required"]) }
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw APIError(.parseError, "The request body is not valid JSON: \(error.message)")
        }
        guard case .object(let object) = value else {
            throw APIError.validation(["body: Expected object"])
        }
        try StorableText.check(value, raw: body)
        return object
    }

    /// `cursor` and `perPage` from the query string.
    func pageRequest() throws -> PageRequest {
        var issues: [String] = []
        var page = PageRequest()
        if let text = query["perPage"] {
            if let value = Int(text), value >= 1, value <= PageRequest.maxPerPage {
                page.perPage = value
            } else {
                issues.append("perPage: must be a whole number from 1 to \(PageRequest.maxPerPage)")
            }
        }
        // An empty `cursor=` is not "no cursor": the contract's date-time has no empty form.
        if let text = query["cursor"] {
            if let cursor = Cursor(parsing: text) {
                page.cursor = cursor
            } else {
                issues.append("cursor: must be an ISO-8601 date-time between years 1 and 9999")
            }
        }
        if !issues.isEmpty { throw APIError.validation(issues) }
        return page
    }
}

/// What a handler answers. Every success in the contract is 200.
public struct APIResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var contentType: String

    public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8], contentType: String = "application/json") {
        self.status = status
        self.headers = headers
        self.body = body
        self.contentType = contentType
    }

    /// JSON text built by PostgreSQL, passed through untouched.
    static func json(text: String) -> APIResponse { APIResponse(body: Array(text.utf8)) }

    static func json(_ value: JSONValue, status: Int = 200) -> APIResponse {
        APIResponse(status: status, body: value.encoded())
    }

    static let success = APIResponse(body: Array(#"{"status":"success"}"#.utf8))

    static func error(_ error: APIError) -> APIResponse {
        json(error.json, status: error.code.status)
    }
}

extension APIResponse {
    /// The contract's list envelope around JSON objects built by PostgreSQL.
    static func list(_ page: Page) -> APIResponse {
        var out = #"{"status":"success","data":["#
        out.reserveCapacity(page.items.reduce(160) { $0 + $1.utf8.count + 1 })
        for (index, item) in page.items.enumerated() {
            if index > 0 { out += "," }
            out += item
        }
        out += #"],"meta":{"total":\#(page.total),"count":\#(page.items.count),"numPages":\#(page.numPages),"#
        out += #""perPage":\#(page.perPage),"prev":\#(quoted(page.prev)),"next":\#(quoted(page.next))}}"#
        return APIResponse(body: Array(out.utf8))
    }

    /// A plain JSON array of objects built by PostgreSQL.
    static func array(_ items: [String]) -> APIResponse {
        APIResponse(body: Array(("[" + items.joined(separator: ",") + "]").utf8))
    }

    /// `{"status":"success","data":<object>}`.
    static func envelope(_ item: String) -> APIResponse {
        APIResponse(body: Array((#"{"status":"success","data":"# + item + "}").utf8))
    }

    private static func quoted(_ cursor: String?) -> String {
        // Cursors are our own ASCII date-times: nothing to escape.
        cursor.map { "\"\($0)\"" } ?? "null"
    }
}
