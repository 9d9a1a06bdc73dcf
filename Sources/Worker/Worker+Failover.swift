import Delivery
import Foundation
import Store

/// Failover (issue 14): which channel of a row's chain an attempt uses, what
/// the circuit breakers learn from it, and where the next attempt goes.
extension Worker {
    /// The chain of one attempt: the row's channel, then its fallbacks.
    struct Leg {
        /// The row's channel once resolved (nil before: no chain yet).
        var primary: ChannelConfig?
        /// The step this attempt used (or starts at, when nothing was sent).
        var step: Int
        var channelId: String?
        var provider: String?

        /// The channel, then its fallbacks. Worked out when needed (routing
        /// past the first step, a failure), not for every send.
        var chain: [String] {
            guard let primary else { return [] }
            guard !primary.id.isEmpty else { return [primary.id] }
            return [primary.id] + ChannelSettingsRules.fallbackChannelIds(primary.settings)
        }
    }

    enum Route {
        case send(ChannelConfig)
        /// Every channel of the chain is skipped until this time.
        case wait(until: ContinuousClock.Instant)
    }

    /// The first channel from the row's step on (then from the chain's start)
    /// that is still there and whose circuit lets a send through. A pinned
    /// row only ever uses its own step.
    func route(_ row: Store.ClaimedNotification, primary: ChannelConfig, leg: inout Leg) async throws -> Route {
        leg = Leg(primary: primary, step: 0)
        guard !primary.id.isEmpty else { return .send(primary) }
        // Nearly every send: the chain starts at the channel itself and no
        // circuit is tracked at all, so it goes there (what the loop would answer).
        if row.channelStep == 0 && circuits.quiet { return .send(primary) }
        let chain = leg.chain
        let start = row.channelStep < chain.count ? row.channelStep : 0
        let order = row.channelPinned ? [start] : Array(start..<chain.count) + Array(0..<start)
        var earliest: ContinuousClock.Instant?
        for step in order {
            let channel: ChannelConfig
            if step == 0 {
                channel = primary
            } else {
                // Deleted, disabled, invalid or of another type since it was named: skipped.
                guard let fallback = try await fallbackChannels.channel(id: chain[step], tenantId: row.tenantId,
                                                                         type: row.type) else {
                    continue
                }
                channel = fallback
            }
            switch circuits.admit(channel.id) {
            case .send, .probe:
                leg.step = step
                return .send(channel)
            case .skip(let until):
                state.withLock { $0.metrics.circuitSkips += 1 }
                earliest = min(earliest ?? until, until)
            }
        }
        leg.step = start
        guard let earliest else {
            throw PreparationError("no channel of the chain \(chain.joined(separator: ", ")) can be used", permanent: false)
        }
        return .wait(until: earliest)
    }

    /// What the breaker of the channel learns from a send's end: a provider
    /// failure (one after hand-over too: the provider misbehaved) counts; an
    /// answer of any kind, a refusal of the message included, is a sign of
    /// life. An invalid message never reached the provider and says nothing.
    func report(_ error: (any Error)?, channel: ChannelConfig, tenantId: String) {
        guard !channel.id.isEmpty else { return }
        guard let error else { return circuits.succeeded(channel.id) }
        guard let delivery = error as? DeliveryError, delivery.code != .invalidMessage else { return }
        if delivery.pointsAtProvider || delivery.afterHandOver {
            if circuits.failed(channel.id, tenantId: tenantId, error: delivery.description) {
                state.withLock { $0.metrics.circuitsOpened += 1 }
            }
        } else {
            circuits.succeeded(channel.id)
        }
    }

    /// The failed attempt's outcome, with the chain step its next attempt uses.
    func failedOutcome(_ error: any Error, row: Store.ClaimedNotification, leg: Leg, startedAt: Date,
                       durationMilliseconds: Int, rendered: String?) -> Store.QueueOutcome {
        let chain = leg.chain
        let failover = FailoverDecision.decide(error, step: leg.step, chainLength: chain.count, pinned: row.channelPinned,
                                               attempt: row.attempt, maxAttempts: row.maxAttempts,
                                               policy: configuration.backoff, isOpen: { circuits.isOpen(chain[$0]) })
        var outcome = Store.QueueOutcome(id: row.id, attempt: row.attempt, kind: .failed, error: failover.decision.message,
                                         startedAt: startedAt, durationMilliseconds: durationMilliseconds, rendered: rendered)
        outcome.channelId = leg.channelId
        outcome.provider = leg.provider
        if case .retry(let delay) = failover.decision.verdict {
            outcome.kind = .retry
            outcome.retryDelay = delay
            // Failed before a channel was chosen (rendering, the database): the same step again.
            outcome.nextStep = chain.isEmpty ? row.channelStep : failover.nextStep
            outcome.pinned = chain.isEmpty ? row.channelPinned : failover.pinned
        }
        if failover.failedOver { state.withLock { $0.metrics.failovers += 1 } }
        return outcome
    }

    /// A row whose whole chain is skipped: back in line untried (no attempt
    /// counted, no attempt row) until the earliest probe.
    func postponedOutcome(_ row: Store.ClaimedNotification, until: ContinuousClock.Instant, leg: Leg,
                          startedAt: Date, rendered: String?) -> Store.QueueOutcome {
        var outcome = Store.QueueOutcome(id: row.id, attempt: row.attempt, kind: .postponed,
                                         retryDelay: max(.milliseconds(1), until - .now), startedAt: startedAt,
                                         durationMilliseconds: 0, rendered: rendered)
        outcome.nextStep = leg.step
        outcome.pinned = row.channelPinned
        return outcome
    }
}
