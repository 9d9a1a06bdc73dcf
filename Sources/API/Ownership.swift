import Store

extension Access {
    /// For routes that name a resource by id: finds its tenant, then checks the
    /// caller may act there. Absent and unreachable both answer 404.
    func owner(of id: String, _ roles: MemberRoles, lookup: (String) async throws -> String?) async throws -> String {
        guard let tenantId = try await lookup(id) else { throw APIError.notFound }
        try await tenant(tenantId, roles)
        return tenantId
    }
}

extension APIRequest {
    /// The version an `If-Match` header names (`"3"`, `W/"3"` or `3`); nil when
    /// absent or `*`; a 412 when it names nothing we could have sent.
    func ifMatchVersion() throws -> Int? {
        guard var value = header("if-match")?.trimmingCharacters(in: .whitespaces), value != "*" else { return nil }
        if value.hasPrefix("W/") { value.removeFirst(2) }
        if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
        guard let version = Int(value) else {
            throw APIError(.preconditionFailed, "If-Match must name a version this server sent as ETag")
        }
        return version
    }
}

extension APIResponse {
    static func etag(_ version: Int) -> (String, String) { ("ETag", "\"\(version)\"") }
}
