import API
import Foundation
import HeraldTestSupport
import JSON
import Store
import Testing

/// Calls and fixtures shared by the test harnesses: anything that runs the
/// API on a port over a store it can reach.
protocol APIClient: Sendable {
    var port: Int { get }
    var contract: OpenAPIContract { get }
    var jwtSecret: String { get }
    var store: Store { get }
}

extension APIClient {
    func call(_ method: String, _ path: String, _ credential: Credential? = nil, json: String? = nil,
              headers: [(String, String)] = []) async throws -> TestHTTPClient.Response {
        var all = headers
        if let credential { all += credential.headers }
        if json != nil { all.append(("Content-Type", "application/json")) }
        return try await TestHTTPClient.request(port: port, method: method, path: path, headers: all,
                                                body: json.map { Array($0.utf8) })
    }

    /// Calls and checks the response against the contract's schema for that operation.
    func contractCall(_ method: String, _ path: String, _ credential: Credential? = nil, json: String? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestHTTPClient.Response {
        let response = try await call(method, path, credential, json: json)
        let problems = contract.validate(method: method, path: path, status: response.status, body: response.body)
        #expect(problems.isEmpty, "\(method) \(path) → \(response.status): \(problems) in \(response.bodyString)",
                sourceLocation: sourceLocation)
        return response
    }

    /// A platform user's bearer token, as `herald token create` mints it.
    func token(email: String) async throws -> Credential {
        let id = try await store.ensurePlatformUser(email: email)
        return .bearer(Authenticator.issueToken(platformUserId: id, email: email, secret: jwtSecret), userId: id)
    }

    /// Creates a tenant through the API and fetches its key pair.
    func tenant(owner: Credential, name: String = "Acme Corp") async throws -> TestTenant {
        let created = try await call("POST", "/api/v0/tenants", owner,
                                     json: #"{"name":"\#(name)","environment":"development"}"#)
        try #require(created.status == 200, "\(created.bodyString)")
        let id = try created.json()["id"]?.stringValue ?? ""
        let keys = try await call("GET", "/api/v0/auth/tenants/\(id)/env", owner).json()
        return TestTenant(id: id, keys: .keys(public: keys["PXYZ_PUBLIC_KEY"]?.stringValue ?? "",
                                              secret: keys["PXYZ_SECRET_KEY"]?.stringValue ?? ""))
    }
}
