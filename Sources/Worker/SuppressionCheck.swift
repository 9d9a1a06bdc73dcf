import Store

/// What the tenant's suppression list means for one claimed row: send as it
/// is, send to the recipients not suppressed, or send nothing. Pure, so the
/// rules are tested without a database or a provider.
///
/// The row's `to` is who the message is for; `cc` and `bcc` are copies. A
/// suppressed address is removed from all three. When every `to` address is
/// suppressed nothing is sent at all: copies of a message whose addressee
/// never gets it are not sent alone (and providers refuse a message without
/// `To`). A row without `to` is judged by its copies.
struct SuppressionCheck: Sendable, Equatable {
    enum Verdict: Sendable, Equatable {
        /// No recipient is suppressed.
        case sendAll
        /// Send to these; the others are suppressed.
        case sendOnly(to: [String], cc: [String], bcc: [String])
        /// Every addressee is suppressed: nothing goes out.
        case sendNothing
    }

    var verdict: Verdict
    /// The recipients left out, each once, in the row's order, with the reason.
    var skipped: [Store.SuppressedRecipient]

    static func decide(to: [String], cc: [String], bcc: [String],
                       suppressed: [Store.SuppressedRecipient]) -> SuppressionCheck {
        guard !suppressed.isEmpty else { return SuppressionCheck(verdict: .sendAll, skipped: []) }
        var reasons: [String: String] = [:]
        for entry in suppressed where reasons[entry.address] == nil { reasons[entry.address] = entry.reason }
        var skipped: [Store.SuppressedRecipient] = []
        var seen: Set<String> = []
        func keep(_ addresses: [String]) -> [String] {
            addresses.filter { address in
                let key = Store.suppressionKey(address)
                guard let reason = reasons[key] else { return true }
                if seen.insert(key).inserted { skipped.append(Store.SuppressedRecipient(address: address, reason: reason)) }
                return false
            }
        }
        let (keptTo, keptCc, keptBcc) = (keep(to), keep(cc), keep(bcc))
        if skipped.isEmpty { return SuppressionCheck(verdict: .sendAll, skipped: []) }
        let addressees = to.isEmpty ? keptCc + keptBcc : keptTo
        if addressees.isEmpty { return SuppressionCheck(verdict: .sendNothing, skipped: skipped) }
        return SuppressionCheck(verdict: .sendOnly(to: keptTo, cc: keptCc, bcc: keptBcc), skipped: skipped)
    }

    /// `a@b.c (hard_bounce), +15550100 (manual)`: for `last_error`, the attempt row and the log.
    var skippedText: String {
        skipped.map { "\($0.address) (\($0.reason))" }.joined(separator: ", ")
    }
}
