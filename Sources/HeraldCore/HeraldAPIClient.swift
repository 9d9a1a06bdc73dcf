import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JSON

/// A tenant's key pair, as `GET /auth/tenants/{id}/env` hands it out.
public struct TenantCredentials: Sendable {
    public var publicKey: String
    public var secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// `HERALD_PUBLIC_KEY`/`HERALD_SECRET_KEY`, else the `PXYZ_` names the env endpoint uses.
    public init?(environment: [String: String]) {
        for prefix in ["HERALD", "PXYZ"] {
            if let publicKey = environment["\(prefix)_PUBLIC_KEY"], !publicKey.isEmpty,
               let secretKey = environment["\(prefix)_SECRET_KEY"], !secretKey.isEmpty {
                self.init(publicKey: publicKey, secretKey: secretKey)
                return
            }
        }
        return nil
    }
}

/// A request to Herald that did not get the answer it needed.
public struct HeraldAPIError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unreachable, status, notJSON
    }

    public var code: Code
    /// `PUT /notifications/templates/…`: the method and the path, never a header.
    public var request: String
    public var status: Int?
    /// The server's `message`, then each of its `issues`.
    public var messages: [String]

    public var description: String {
        let answer = status.map { "\($0)" } ?? code.rawValue
        return "\(request): \(answer)" + (messages.isEmpty ? "" : ": " + messages.joined(separator: "; "))
    }
}

/// Herald's answer: status, lower-cased headers and the body.
public struct HeraldAPIResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public var json: JSONValue? { try? JSONValue(parsing: body) }
    /// `data` of a `{"status":"success","data":…}` answer.
    public var data: JSONValue? { json?["data"] }
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The contract's error shape: `message`, then each issue's message (a string or `{message}`).
    var errorMessages: [String] {
        guard let json else { return [String(decoding: body.prefix(200), as: UTF8.self)] }
        var messages = json["message"]?.stringValue.map { [$0] } ?? []
        for issue in json["issues"]?.arrayValue ?? [] {
            if let text = issue.stringValue ?? issue["message"]?.stringValue { messages.append(text) }
        }
        return messages
    }
}

/// A small client for Herald's own API with a tenant's key pair, over
/// URLSession (as `HTTPProviderClient` sends to providers). The secret key
/// goes only into its header: errors name the method and path alone.
public final class HeraldAPIClient: Sendable {
    public let baseURL: URL
    private let credentials: TenantCredentials
    private let session: URLSession

    /// `baseURL` is the server's root (`http://127.0.0.1:4000`); paths are under `/api/v0`.
    public init(baseURL: URL, credentials: TenantCredentials, timeout: TimeInterval = 30) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.urlCredentialStorage = nil
        self.baseURL = baseURL
        self.credentials = credentials
        self.session = URLSession(configuration: configuration)
    }

    deinit { session.finishTasksAndInvalidate() }

    /// Sends one request; any status is an answer, only a failed exchange throws.
    public func send(_ method: String, _ path: String, json: JSONValue? = nil,
                     headers: [(String, String)] = []) async throws(HeraldAPIError) -> HeraldAPIResponse {
        guard let url = URL(string: baseURL.absoluteString.trimmingSuffix("/") + "/api/v0" + path) else {
            throw HeraldAPIError(code: .unreachable, request: "\(method) \(path)", status: nil, messages: ["not a URL"])
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue(credentials.publicKey, forHTTPHeaderField: "x-protocol-public-key")
        request.setValue(credentials.secretKey, forHTTPHeaderField: "x-protocol-secret-key")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(json.encoded())
        }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw HeraldAPIError(code: .unreachable, request: "\(method) \(path)", status: nil,
                                 messages: ["\(baseURL.absoluteString): \(error.localizedDescription)"])
        }
        let http = response as? HTTPURLResponse
        var lowered: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] {
            if let name = name as? String, let value = value as? String { lowered[name.lowercased()] = value }
        }
        return HeraldAPIResponse(status: http?.statusCode ?? 0, headers: lowered, body: Array(data))
    }

    /// Sends and insists on a 200 with a JSON body.
    public func expect(_ method: String, _ path: String, json: JSONValue? = nil,
                       headers: [(String, String)] = []) async throws(HeraldAPIError) -> HeraldAPIResponse {
        let response = try await send(method, path, json: json, headers: headers)
        guard response.status == 200 else {
            throw HeraldAPIError(code: .status, request: "\(method) \(path)", status: response.status,
                                 messages: response.errorMessages)
        }
        guard response.json != nil else {
            throw HeraldAPIError(code: .notJSON, request: "\(method) \(path)", status: response.status, messages: [])
        }
        return response
    }
}

private extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
