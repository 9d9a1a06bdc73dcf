import Foundation
import HeraldTestSupport
import JSON
import Postgres
import Testing

/// Calls operations for the contract walk, checks each answer's status and
/// schema, and records which operations were reached. One walker serves one
/// test task, so it needs no locking.
final class ContractWalker {
    let api: APIHarness
    /// Herald's served `/openapi.json` (contract + API.md §1), read once it was called.
    var served: OpenAPIContract?
    private(set) var contractCovered: Set<String> = []
    private(set) var extrasCovered: Set<String> = []

    init(api: APIHarness) { self.api = api }

    /// Calls, expects `status`, validates the body against the contract (or
    /// the served spec for API.md §1 operations) and records the operation.
    @discardableResult
    func call(_ method: String, _ path: String, _ credential: Credential?, json: String? = nil,
              expect status: Int = 200, headers: [(String, String)] = [],
              sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestHTTPClient.Response {
        let response = try await api.call(method, path, credential, json: json, headers: headers)
        let operation = api.contract.operation(method: method, path: path)
        let extra = operation == nil ? ContractWalkExtras.match(method: method, path: path) : nil
        let name = operation?.operationId ?? extra ?? "(no listed operation)"
        var problems: [String] = []
        if let operation {
            problems = api.contract.validate(method: method, path: path, status: response.status, body: response.body)
            if response.status == status { contractCovered.insert(operation.operationId) }
        } else if let extra {
            if extra == "GET /metrics" {
                // Prometheus text, though the served spec declares a JSON object for it.
                if response.headers["content-type"]?.hasPrefix("text/plain") != true || !response.bodyString.contains("# TYPE") {
                    problems = ["(root): not Prometheus text exposition"]
                }
            } else if let served, served.operation(method: method, path: path) != nil {
                problems = served.validate(method: method, path: path, status: response.status, body: response.body)
            }
            if response.status == status { extrasCovered.insert(extra) }
        }
        if response.status != status || !problems.isEmpty {
            let sent = json.map { " sent \($0)" } ?? ""
            Issue.record(Comment(rawValue: """
                \(name): \(method) \(path)\(sent) → \(response.status) (expected \(status))\
                \(problems.isEmpty ? "" : "; schema problems: \(problems)"); body: \(response.bodyString.prefix(600))
                """), sourceLocation: sourceLocation)
        }
        return response
    }

    /// Calls and answers the `id` of the JSON answer (or of its `data`).
    func id(_ method: String, _ path: String, _ credential: Credential?, json: String? = nil,
            sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let response = try await call(method, path, credential, json: json, sourceLocation: sourceLocation)
        let body = try response.json()
        return try #require(body["id"]?.stringValue ?? body["data"]?["id"]?.stringValue,
                            "\(method) \(path): no id in \(response.bodyString)", sourceLocation: sourceLocation)
    }
}

/// API.md §1: the operations beyond the OpenAPI file, as method + template.
enum ContractWalkExtras {
    static let all: [String] = [
        "GET /tenants/{id}/brand", "PUT /tenants/{id}/brand", "GET /tenants/pkey/{publicKey}",
        "GET /user/whoami", "GET /user/invitations",
        "POST /user/invitations/{id}/accept", "POST /user/invitations/{id}/decline",
        "GET /tenants/{tenantId}/notifications/emails", "GET /tenants/{tenantId}/notifications/sms",
        "GET /tenants/{tenantId}/notifications/push", "GET /tenants/{tenantId}/notifications/inapp",
        "GET /tenants/{tenantId}/notifications/webhooks",
        "GET /notifications/{id}", "POST /notifications/{id}/retry", "POST /notifications/{id}/cancel",
        "GET /notifications/templates/{id}/versions", "POST /notifications/templates/{id}/versions/{version}/restore",
        "POST /notifications/templates/preview", "POST /tenants/{tenantId}/notifications/templates",
        "POST /auth/email-addresses/prepare-verification", "POST /auth/phone-numbers/prepare-verification",
        "POST /auth/organization-invitations/{id}/resend",
        "GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.json",
    ]

    /// The §1 operation serving a concrete request; literal segments win, leftmost first.
    static func match(method: String, path: String) -> String? {
        var path = String(path.prefix { $0 != "?" })
        if path.hasPrefix("/api/v0/") { path.removeFirst("/api/v0".count) }
        let requested = path.split(separator: "/").map(String.init)
        var best: (name: String, literals: [Bool])?
        for name in all {
            let parts = name.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts[0] == method.uppercased() else { continue }
            let template = parts[1].split(separator: "/").map(String.init)
            guard template.count == requested.count,
                  zip(template, requested).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) else { continue }
            let literals = template.map { !$0.hasPrefix("{") }
            if let current = best, !(zip(literals, current.literals).first { $0 != $1 }?.0 ?? false) { continue }
            best = (name, literals)
        }
        return best?.name
    }
}

/// Every public table's rows as one digest each: compared before and after a
/// refused call, any write anywhere shows.
enum ContractWalkSnapshot {
    static func take(_ api: APIHarness) async throws -> [String: String] {
        try await api.pool.withConnection { connection in
            let tables = try connection.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
                .map { try $0.decode(0, as: String.self) }
            // Table names come from the catalog, quoted as identifiers: no caller input reaches this SQL.
            let sql = tables.map { table in
                let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                let literal = "'" + table.replacingOccurrences(of: "'", with: "''") + "'"
                return "SELECT \(literal), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \(quoted) t"
            }.joined(separator: " UNION ALL ")
            var out: [String: String] = [:]
            for row in try connection.query(sql) { out[try row.decode(0, as: String.self)] = try row.decode(1, as: String.self) }
            return out
        }
    }

    /// The tables whose rows differ between two snapshots.
    static func changed(_ before: [String: String], _ after: [String: String]) -> [String] {
        Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
    }
}
