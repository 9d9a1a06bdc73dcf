import Basics
import Delivery
import Foundation
import Rendering
import Store

extension Worker {
    /// One attempt at one row: render if needed, resolve the channel, send,
    /// and turn the result into an outcome to write. Never throws: every
    /// failure becomes a retry or a failure with its reason.
    func attempt(_ row: Store.ClaimedNotification) async -> Store.QueueOutcome {
        var providerName = "unresolved"
        // The tenant's suppression list first (Worker+Suppression): nothing rendered or resolved for nobody.
        let suppression = suppressionCheck(row)
        var outcome: Store.QueueOutcome
        if let suppressed = suppressedOutcome(row, suppression) {
            (outcome, providerName) = (suppressed, Self.suppressedProvider)
        } else {
            outcome = await attempt(row, suppression: suppression, provider: &providerName)
            noteSkipped(suppression, row, in: &outcome)
        }
        if let attemptObserver {
            let seconds = Double(outcome.durationMilliseconds) / 1000
            attemptObserver(providerName, outcome.kind.rawValue, seconds)
        }
        return outcome
    }

    private func attempt(_ row: Store.ClaimedNotification, suppression: SuppressionCheck?,
                         provider providerName: inout String) async -> Store.QueueOutcome {
        let startedAt = Date()
        let start = ContinuousClock.now
        var renderedText: String?
        var leg = Leg(step: row.channelStep)
        func elapsed() -> Int { Int((ContinuousClock.now - start).wholeMilliseconds) }
        do {
            let rendered: RenderedMessage
            if let stored = MessageComposer.storedRendering(of: row) {
                rendered = stored
            } else {
                rendered = try await renderer.render(row)
                renderedText = rendered.jsonDocument.jsonString
            }
            let primary = try await channels.channel(for: row)
            providerName = primary.provider
            // Failover: the chain's step to use, or every channel skipped for now.
            let channel: ChannelConfig
            switch try await route(row, primary: primary, leg: &leg) {
            case .send(let chosen): channel = chosen
            case .wait(let until): return postponedOutcome(row, until: until, leg: leg, startedAt: startedAt, rendered: renderedText)
            }
            providerName = channel.provider
            guard let provider = providers(channel.provider) else {
                throw PreparationError("provider \(channel.provider) is not available in this worker")
            }
            var message = try MessageComposer.message(for: row, rendered: rendered)
            Self.removeSuppressed(suppression, from: &message)
            leg.channelId = channel.id.isEmpty ? nil : channel.id
            leg.provider = channel.provider
            let receipt: DeliveryReceipt
            do {
                receipt = try await provider.send(message, via: channel)
                report(nil, channel: channel, tenantId: row.tenantId)
            } catch {
                report(error, channel: channel, tenantId: row.tenantId)
                throw error
            }
            var outcome = Store.QueueOutcome(id: row.id, attempt: row.attempt, kind: .sent,
                                             providerMessageId: receipt.providerMessageId, startedAt: startedAt,
                                             durationMilliseconds: elapsed(), providerResponse: receipt.response,
                                             rendered: renderedText)
            outcome.channelId = leg.channelId
            outcome.provider = leg.provider
            return outcome
        } catch {
            return failedOutcome(error, row: row, leg: leg, startedAt: startedAt, durationMilliseconds: elapsed(),
                                 rendered: renderedText)
        }
    }
}
