import Basics
import Delivery
import JSON
import Store

/// The channel a row goes out through, with its settings (secrets opened).
/// The claim already joined the row's channel (its own, else the tenant's
/// AuthSettings email/SMS channel) and its row version, so settings are read
/// and decrypted once per channel change, not once per message (and once,
/// not once per send, when a batch of sends needs the same channel at once).
final class ChannelResolver: Sendable {
    /// The provider used when a row names no channel and the tenant set none.
    static let defaultProviders = ["email": "email_pxyz", "sms": "sms_pxyz", "inapp": "inapp_pxyz"]
    static let cacheLimit = 10_000

    private let store: Store
    private let loads = SharedLoads<String, ChannelConfig>(limit: cacheLimit)

    init(store: Store) { self.store = store }

    func channel(for row: Store.ClaimedNotification) async throws -> ChannelConfig {
        guard let id = row.channelId, let version = row.channelVersion else {
            guard let provider = Self.defaultProviders[row.type] else {
                throw PreparationError("no channel for this \(row.type) notification")
            }
            // Empty settings: the provider's server-wide defaults (relay, gateway).
            return ChannelConfig(id: "", provider: provider, settings: JSONObject())
        }
        guard row.channelEnabled else { throw PreparationError("channel \(id) is disabled") }
        let tenantId = row.tenantId
        return try await loads.value(for: id, stamp: version, isFresh: { $0 == version }) {
            try await self.load(id: id, tenantId: tenantId)
        }
    }

    private func load(id: String, tenantId: String) async throws -> ChannelConfig {
        guard let stored = try await store.channelForSending(reference: id, tenantId: tenantId) else {
            throw PreparationError("channel \(id) no longer exists", permanent: false)
        }
        guard stored.enabled else { throw PreparationError("channel \(id) is disabled") }
        // The rules the API saved it by: a channel stored before they
        // existed (or changed in the database) fails here, for good.
        let issues = ChannelSettingsRules.issues(provider: stored.provider, settings: stored.settings)
        guard issues.isEmpty else {
            throw PreparationError("channel \(id) has invalid settings: " + issues.map(\.description).joined(separator: "; "))
        }
        return ChannelConfig(id: stored.id, provider: stored.provider, settings: stored.settings)
    }
}
