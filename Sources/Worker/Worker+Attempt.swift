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
            outcome = await attempt(row, provider: &providerName)
            noteSkipped(suppression, row, in: &outcome)
        }
        if let attemptObserver {
            let seconds = Double(outcome.durationMilliseconds) / 1000
            attemptObserver(providerName, outcome.kind.rawValue, seconds)
        }
        return outcome
    }

    private func attempt(_ row: Store.ClaimedNotification, provider providerName: inout String) async -> Store.QueueOutcome {
        let startedAt = Date()
        let start = ContinuousClock.now
        var renderedText: String?
        func elapsed() -> Int { Int((ContinuousClock.now - start).wholeMilliseconds) }
        do {
            let rendered: RenderedMessage
            if let stored = MessageComposer.storedRendering(of: row) {
                rendered = stored
            } else {
                rendered = try await renderer.render(row)
                renderedText = rendered.jsonDocument.jsonString
            }
            let channel = try await channels.channel(for: row)
            providerName = channel.provider
            guard let provider = providers(channel.provider) else {
                throw PreparationError("provider \(channel.provider) is not available in this worker")
            }
            var message = try MessageComposer.message(for: row, rendered: rendered)
            Self.removeSuppressed(suppressionCheck(row), from: &message)
            let receipt = try await provider.send(message, via: channel)
            return Store.QueueOutcome(id: row.id, attempt: row.attempt, kind: .sent,
                                      providerMessageId: receipt.providerMessageId, startedAt: startedAt,
                                      durationMilliseconds: elapsed(), providerResponse: receipt.response,
                                      rendered: renderedText)
        } catch {
            let decision = FailureDecision.decide(error, attempt: row.attempt, maxAttempts: row.maxAttempts,
                                                  policy: configuration.backoff)
            var outcome = Store.QueueOutcome(id: row.id, attempt: row.attempt, kind: .failed, error: decision.message,
                                             startedAt: startedAt, durationMilliseconds: elapsed(), rendered: renderedText)
            if case .retry(let delay) = decision.verdict {
                outcome.kind = .retry
                outcome.retryDelay = delay
            }
            return outcome
        }
    }
}
