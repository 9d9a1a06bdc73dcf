import Basics
import Delivery
import Store

/// Fallback channels' settings, for failover. A row's own channel comes with
/// its row version from the claim, so its cache is always current; a fallback
/// does not (joining every fallback into every claim would cost each message
/// for what only a failover needs). Its settings are read when a send first
/// needs them and reused for `ttl`, so an edit or a deletion is noticed
/// within that time, at no cost to sends that never fail over.
final class FallbackChannels: Sendable {
    private let store: Store
    private let ttl: Duration
    private let loads = SharedLoads<ContinuousClock.Instant, ChannelConfig?>(limit: ChannelResolver.cacheLimit)

    init(store: Store, ttl: Duration) {
        self.store = store
        self.ttl = ttl
    }

    /// The fallback's settings, or nil when it is gone, disabled, invalid or
    /// no longer of the row's `type` (the send skips it). Throws only when
    /// the database cannot answer.
    func channel(id: String, tenantId: String, type: String,
                 now: ContinuousClock.Instant = .now) async throws -> ChannelConfig? {
        try await loads.value(for: id, stamp: now, isFresh: { now - $0 < ttl }) {
            try await self.load(id: id, tenantId: tenantId, type: type)
        }
    }

    private func load(id: String, tenantId: String, type: String) async throws -> ChannelConfig? {
        guard let stored = try await store.channelForSending(reference: id, tenantId: tenantId), stored.id == id,
              stored.enabled, stored.type.rawValue == type,
              ChannelSettingsRules.issues(provider: stored.provider, settings: stored.settings).isEmpty
        else { return nil }
        return ChannelConfig(id: stored.id, provider: stored.provider, settings: stored.settings)
    }
}
