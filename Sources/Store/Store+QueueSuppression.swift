import JSON

/// What the claim and `finish` (`Store+Queue`) read and write for the
/// suppression list, kept here so the queue's statements change by a line.
extension Store {
    /// A recipient of a claimed row that the tenant suppressed, and why.
    public struct SuppressedRecipient: Sendable, Hashable {
        /// As stored: `suppressionKey` of the row's address.
        public let address: String
        /// A `SuppressionReason` raw value: hard_bounce, complaint or manual.
        public let reason: String

        public init(address: String, reason: String) {
            self.address = address
            self.reason = reason
        }
    }

    /// The claim's `suppressed` column: the row's recipients on its tenant's
    /// list, as JSON text, NULL when none (nearly always). Only e-mail and SMS
    /// rows have addresses a suppression can name. The row's recipient keys
    /// (`herald_recipient_keys`, 0012, inlined) become one array, and the list
    /// is read by one scan of its primary key (tenant_id, address = ANY(keys)):
    /// no query per message, and no join whose plan could turn into a scan of
    /// the tenant's whole list as it grows (a join of the keys was planned as a
    /// hash join over a sequential scan once the row estimate of the key set
    /// changed). An empty list costs an empty index range per row.
    static let suppressedColumn = """
        CASE WHEN n.type IN ('email', 'sms') THEN (
                     SELECT json_agg(json_build_object('address', s.address, 'reason', s.reason))
                     FROM notification_suppressions s
                     WHERE s.tenant_id = n.tenant_id
                       AND s.address = ANY(ARRAY(SELECT k FROM herald_recipient_keys(n."to") AS k)))::text
                   END AS suppressed
        """

    /// `finish`'s assignments of the delivery status: an outcome that names
    /// one sets it with its error as the detail (`suppressed`); a later
    /// attempt of a notification once suppressed (retried after the address
    /// was removed from the list) clears it; any other status (a provider's
    /// event) is left alone. No indexed column, so the update stays HOT.
    static let deliveryStatusAssignments = """
        delivery_status = CASE WHEN r.delivery_status IS NOT NULL THEN r.delivery_status
                                   WHEN n.delivery_status = 'suppressed' THEN NULL ELSE n.delivery_status END,
                delivery_detail = CASE WHEN r.delivery_status IS NOT NULL THEN r.error
                                   WHEN n.delivery_status = 'suppressed' THEN NULL ELSE n.delivery_detail END,
                delivery_updated_at = CASE WHEN r.delivery_status IS NOT NULL OR n.delivery_status = 'suppressed'
                                       THEN herald_now() ELSE n.delivery_updated_at END
        """

    /// The `suppressed` column read back; unreadable text (never written by
    /// the claim) counts as none rather than failing the whole claim.
    static func suppressedRecipients(_ json: String?) -> [SuppressedRecipient] {
        guard let json, case .array(let items)? = try? JSONParser.parse(json) else { return [] }
        return items.compactMap { item in
            guard let address = item["address"]?.stringValue, let reason = item["reason"]?.stringValue else { return nil }
            return SuppressedRecipient(address: address, reason: reason)
        }
    }
}
