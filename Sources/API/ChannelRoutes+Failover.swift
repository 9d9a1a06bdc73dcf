import Delivery
import JSON
import Store

/// Failover on the channel API (issue 14): `providerSettings.fallbackChannelIds`
/// checked against the tenant's channels, and the circuit breaker's state
/// (a header on the channel, whose contract object takes no new fields, and
/// an endpoint of its own).
extension ChannelRoutes {
    static let fallbacksField = "providerSettings.fallbackChannelIds"

    /// Each fallback must be another channel of the same tenant and type, and
    /// following fallbacks' own fallbacks must never come back to a channel
    /// already on the path. (The list's shape is `ChannelSettingsRules`'.)
    static func checkFallbacks(_ settings: JSONObject, of channelId: String?, type: String, tenantId: String,
                               store: Store) async throws {
        let ids = ChannelSettingsRules.fallbackChannelIds(settings)
        guard !ids.isEmpty else { return }
        var graph = try await store.fallbackGraph(tenantId: tenantId)
        var issues: [String] = []
        for id in ids {
            if id == channelId {
                issues.append("\(fallbacksField): a channel cannot be its own fallback")
            } else if let other = graph[id] {
                if other.type != type { issues.append("\(fallbacksField): \(id) is a \(other.type) channel, not \(type)") }
            } else {
                issues.append("\(fallbacksField): no channel \(id) in this tenant")
            }
        }
        if issues.isEmpty {
            let me = channelId ?? "(this channel)"
            graph[me] = (type, ids)
            if let cycle = cycle(from: me, in: graph) {
                issues.append("\(fallbacksField): fallbacks form a cycle (\(cycle.joined(separator: " -> ")))")
            }
        }
        if !issues.isEmpty { throw APIError.validation(issues) }
    }

    /// A path from `start` that comes back to a channel on it, if any.
    static func cycle(from start: String, in graph: [String: (type: String, fallbacks: [String])]) -> [String]? {
        var path: [String] = []
        var done = Set<String>()
        func visit(_ id: String) -> [String]? {
            if let index = path.firstIndex(of: id) { return Array(path[index...]) + [id] }
            guard !done.contains(id) else { return nil }
            path.append(id)
            defer { path.removeLast(); done.insert(id) }
            for next in graph[id]?.fallbacks ?? [] {
                if let found = visit(next) { return found }
            }
            return nil
        }
        return visit(start)
    }

    static func withCircuitHeader(_ response: APIResponse, store: Store, channelId: String,
                                  tenantId: String) async throws -> APIResponse {
        guard let header = try await store.circuitHeader(channelId: channelId, tenantId: tenantId) else { return response }
        var response = response
        response.headers.append(("Herald-Circuit", header))
        return response
    }

    static func addCircuit(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store
        routes.owned("GET", "/notifications/channels/:id/circuit", .viewConfig, lookup: store.channelTenant) { request, access, id, tenantId in
            guard let json = try await store.circuitJSON(channelId: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: #"{"status":"success","data":"# + json + "}")
        }
    }
}
