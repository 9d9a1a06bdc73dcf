import JSON
import Store

/// An error as the contract shows it: `{message, code, issues?}` with the HTTP
/// status of its code. Handlers throw these; anything else becomes a 500 whose
/// message reveals nothing.
public struct APIError: Error, Sendable, Equatable {
    public struct Code: Sendable, Equatable {
        public let name: String
        public let status: Int

        public static let badRequest = Code(name: "BAD_REQUEST", status: 400)
        public static let parseError = Code(name: "PARSE_ERROR", status: 400)
        public static let unauthorized = Code(name: "UNAUTHORIZED", status: 401)
        public static let forbidden = Code(name: "FORBIDDEN", status: 403)
        public static let notFound = Code(name: "NOT_FOUND", status: 404)
        public static let methodNotSupported = Code(name: "METHOD_NOT_SUPPORTED", status: 405)
        public static let conflict = Code(name: "CONFLICT", status: 409)
        public static let preconditionFailed = Code(name: "PRECONDITION_FAILED", status: 412)
        public static let payloadTooLarge = Code(name: "PAYLOAD_TOO_LARGE", status: 413)
        public static let tooManyRequests = Code(name: "TOO_MANY_REQUESTS", status: 429)
        public static let internalServerError = Code(name: "INTERNAL_SERVER_ERROR", status: 500)
        public static let serviceUnavailable = Code(name: "SERVICE_UNAVAILABLE", status: 503)
    }

    public let code: Code
    public let message: String
    /// Each issue's one-line text, its `message`.
    public let issues: [String]
    /// More fields for the issue at the same index (a template issue's part,
    /// locale, line and column); shorter than `issues` when some have none.
    public var issueFields: [JSONObject] = []
    /// More top-level members (a 409's `usedBy`), after message, code and issues.
    public var extra: JSONObject = JSONObject()

    public init(_ code: Code, _ message: String, issues: [String] = []) {
        self.code = code
        self.message = message
        self.issues = issues
    }

    public static func validation(_ issues: [String]) -> APIError {
        APIError(.badRequest, "Input validation failed", issues: issues)
    }

    public static let notFound = APIError(.notFound, "Not found")
    public static let unauthorized = APIError(.unauthorized, "Missing or invalid credentials")
    public static let forbidden = APIError(.forbidden, "Your role does not allow this")
    public static let internalError = APIError(.internalServerError, "Internal server error")

    public var json: JSONValue {
        var object: JSONObject = ["message": .string(message), "code": .string(code.name)]
        if !issues.isEmpty {
            object["issues"] = .array(issues.enumerated().map { index, message in
                var issue: JSONObject = ["message": .string(message)]
                if index < issueFields.count {
                    for (key, value) in issueFields[index] where key != "message" { issue[key] = value }
                }
                return .object(issue)
            })
        }
        for (key, value) in extra where object[key] == nil { object[key] = value }
        return .object(object)
    }
}

extension APIError {
    /// Maps what a handler threw to what the client sees: database conflicts
    /// become 409, an unreachable database 503, the rest 500.
    static func from(_ error: any Error) -> APIError {
        if let error = error as? APIError { return error }
        if let error = error as? StoreError {
            switch error.code {
            case .conflict: return APIError(.conflict, "A resource with these values already exists")
            case .missingReference: return APIError(.badRequest, "A referenced resource does not exist")
            case .unavailable: return APIError(.serviceUnavailable, "The database is unavailable, try again shortly")
            default: break
            }
        }
        return .internalError
    }
}
