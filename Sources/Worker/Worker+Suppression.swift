import Delivery
import Foundation
import JSON
import Store

/// The suppression list at send time. The claim brought each row's
/// suppressed recipients along (`ClaimedNotification.suppressed`), so this
/// costs no query; a row with none (nearly all) returns at the first line.
extension Worker {
    /// The provider name attempts that sent nothing because of the list are
    /// counted under (`herald_notifications_sent_total{provider="suppressed"}`).
    static let suppressedProvider = "suppressed"

    /// What the list says of `row`, before anything is rendered or resolved;
    /// nil when it has no suppressed recipient.
    func suppressionCheck(_ row: Store.ClaimedNotification) -> SuppressionCheck? {
        guard !row.suppressed.isEmpty, let stored = try? JSONParser.parse(row.recipients) else { return nil }
        let (to, cc, bcc) = MessageComposer.recipients(stored)
        let check = SuppressionCheck.decide(to: to, cc: cc, bcc: bcc, suppressed: row.suppressed)
        return check.verdict == .sendAll ? nil : check
    }

    /// The early exit: every addressee suppressed ends the notification
    /// `failed` with `suppressed: …` as its error and delivery status
    /// `suppressed`, without contacting any provider. Nil: send.
    func suppressedOutcome(_ row: Store.ClaimedNotification, _ check: SuppressionCheck?) -> Store.QueueOutcome? {
        guard let check, check.verdict == .sendNothing else { return nil }
        logger.info("not sent: every recipient is on the tenant's suppression list",
                    ("notification", .string(row.id)), ("tenant", .string(row.tenantId)),
                    ("attempt", .int(row.attempt)), ("suppressed", .string(check.skippedText)))
        return Store.QueueOutcome(id: row.id, attempt: row.attempt, kind: .failed, error: "suppressed: \(check.skippedText)",
                                  startedAt: Date(), durationMilliseconds: 0, deliveryStatus: "suppressed")
    }

    /// Leaves the suppressed recipients out of a message that still goes to others.
    static func removeSuppressed(_ check: SuppressionCheck?, from message: inout OutgoingMessage) {
        guard case .sendOnly(let to, let cc, let bcc)? = check?.verdict else { return }
        (message.to, message.cc, message.bcc) = (to, cc, bcc)
    }

    /// A send that left recipients out says so on its attempt row (the
    /// notification itself is `sent`, with no error), and in the log.
    func noteSkipped(_ check: SuppressionCheck?, _ row: Store.ClaimedNotification, in outcome: inout Store.QueueOutcome) {
        guard let check, case .sendOnly = check.verdict, outcome.kind == .sent else { return }
        outcome.error = "not sent to suppressed recipients: \(check.skippedText)"
        logger.info("sent without the recipients on the tenant's suppression list",
                    ("notification", .string(row.id)), ("tenant", .string(row.tenantId)),
                    ("suppressed", .string(check.skippedText)))
    }
}
