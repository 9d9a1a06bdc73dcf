import Basics
import JSON
import Rendering
import Store

/// What a send looks up, kept between sends (issue 15): per tenant, its send
/// context, its channels by key or id, and its templates by name or id,
/// compiled, with their partials. Every entry of a tenant was read under the
/// tenant's lookup version (migration 0013), which any change to those bumps;
/// a send carries that version into its insert, which writes nothing when the
/// version moved on (`SendOutcome.staleLookups`), and the send looks up
/// afresh. So no API process queues a message from a stale cache, whichever
/// process made the edit, and nothing needs to tell the processes.
///
/// Bounded: at most `tenantLimit` tenants (the least recently used goes) and
/// `entryLimit` channels and templates each per tenant (the tenant's entries
/// are dropped beyond it). Only found things are cached.
final class SendLookupCache: Sendable {
    struct Channel: Sendable {
        let id: String
        let type: ChannelType
        let enabled: Bool
    }

    struct Template: Sendable {
        let id: String
        let name: String
        let type: String
        let compiled: CompiledTemplate
        let partials: TemplateDictionary
    }

    /// One send's lookups, read under `version`.
    struct Lookups: Sendable {
        let version: Int64
        let context: JSONValue
        let channel: Channel
        let template: Template
        /// Some part came from the cache: a refusal built on it is confirmed afresh.
        let cached: Bool
    }

    private struct TemplateKey: Hashable {
        let reference: String
        let type: String
    }

    private struct Tenant {
        let version: Int64
        let context: JSONValue
        var channels: [String: Channel] = [:]
        var templates: [TemplateKey: Template] = [:]
        var lastUse: UInt64
    }

    private struct State {
        var tenants: [String: Tenant] = [:]
        var clock: UInt64 = 0
    }

    static let tenantLimit = 1_000
    static let entryLimit = 256

    private let store: Store
    private let state = Locked(State())

    init(store: Store) { self.store = store }

    /// The channel and template of a send with the tenant's context; `fresh`
    /// reads them all from the database. Throws the API's 400s for a channel
    /// or template that does not exist.
    func lookups(tenantId: String, channel channelReference: String, template templateReference: String,
                 fresh: Bool) async throws -> Lookups {
        let cached = fresh ? nil : state.withLock { state -> (Int64, JSONValue, Channel?, Template?)? in
            guard var tenant = state.tenants[tenantId] else { return nil }
            state.clock += 1
            tenant.lastUse = state.clock
            state.tenants[tenantId] = tenant
            let channel = tenant.channels[channelReference]
            let template = channel.flatMap { tenant.templates[TemplateKey(reference: templateReference, type: $0.type.rawValue)] }
            return (tenant.version, tenant.context, channel, template)
        }
        if case let (version, context, channel?, template?)? = cached {
            return Lookups(version: version, context: context, channel: channel, template: template, cached: true)
        }
        let version: Int64, context: JSONValue
        if let cached {
            (version, context) = (cached.0, cached.1)
        } else {
            guard let base = try await store.sendContextWithVersion(tenantId: tenantId) else { throw APIError.notFound }
            (version, context) = (base.version, base.context)
        }
        let channel: Channel
        if let known = cached?.2 {
            channel = known
        } else {
            guard let found = try await store.channelForSending(reference: channelReference, tenantId: tenantId) else {
                throw APIError.validation(["channel: no channel with this key or id in the tenant"])
            }
            channel = Channel(id: found.id, type: found.type, enabled: found.enabled)
            remember(tenantId, version: version, context: context) { $0.channels[channelReference] = channel }
        }
        let type = channel.type.rawValue
        guard let stored = try await store.template(reference: templateReference, tenantId: tenantId, type: type) else {
            throw APIError.validation(["template: no \(type) template with this name or id in the tenant"])
        }
        let compiled = try TemplateRendering.compile(stored)
        let partials = try await TemplateRendering.partials(for: compiled, tenantId: tenantId, store: store)
        let template = Template(id: stored.id, name: stored.name, type: stored.type, compiled: compiled, partials: partials)
        remember(tenantId, version: version, context: context) { $0.templates[TemplateKey(reference: templateReference, type: type)] = template }
        return Lookups(version: version, context: context, channel: channel, template: template, cached: cached != nil)
    }

    /// Forgets the tenant's entries read under `version` or before.
    func invalidate(tenantId: String, upTo version: Int64) {
        state.withLock { state in
            if let tenant = state.tenants[tenantId], tenant.version <= version { state.tenants[tenantId] = nil }
        }
    }

    /// Applies `change` to the tenant's entry of `version`, starting one when
    /// there is none or it is older; an entry already newer is left alone.
    private func remember(_ tenantId: String, version: Int64, context: JSONValue, _ change: (inout Tenant) -> Void) {
        state.withLock { state in
            state.clock += 1
            var tenant: Tenant
            if let current = state.tenants[tenantId], current.version >= version {
                guard current.version == version else { return }
                tenant = current
            } else {
                tenant = Tenant(version: version, context: context, lastUse: state.clock)
            }
            change(&tenant)
            if tenant.channels.count > Self.entryLimit || tenant.templates.count > Self.entryLimit {
                tenant.channels = [:]
                tenant.templates = [:]
            }
            tenant.lastUse = state.clock
            if state.tenants[tenantId] == nil, state.tenants.count >= Self.tenantLimit,
               let oldest = state.tenants.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                state.tenants[oldest] = nil
            }
            state.tenants[tenantId] = tenant
        }
    }
}
