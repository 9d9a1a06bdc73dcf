import Crypto
import JSON
import Postgres

/// Verification codes for email addresses and phone numbers (API.md §5): six
/// digits, kept only as a keyed digest, valid ten minutes, five tries. The code
/// is queued as a `verification-code` notification in the caller's
/// transaction, so a rolled-back change sends nothing.
extension Store {
    public static let verificationMinutes = 10
    public static let verificationTries = 5

    public enum VerifyOutcome: Sendable {
        case verified(String)
        case notFound
        /// No unused code is pending (never sent, already used, or replaced).
        case noCode
        case expired
        case wrong(remaining: Int)
        case tooManyTries
    }

    public enum PrepareOutcome: Sendable { case queued, notFound, alreadyVerified }

    /// Replaces any pending code of the address with a fresh one and queues it.
    func issueVerification(_ connection: PostgresConnection, _ kind: ContactKind, contactId: String, locale: String) throws {
        _ = try connection.query("DELETE FROM verification_codes WHERE \(kind.codeColumn) = $1", [contactId])
        let codeId = Identifier.make()
        let code = VerificationCode.sixDigits()
        let templateColumn = kind == .email ? "code_verification_email_template_id" : "code_verification_sms_template_id"
        let channelColumn = kind == .email ? "email_channel_id" : "sms_channel_id"
        // For an email address, the address being verified is the user's email in the message.
        let userEmail = kind == .email ? "c.email" : "pe.email"
        guard let row = try connection.query("""
            WITH code AS (
              INSERT INTO verification_codes (id, tenant_id, \(kind.codeColumn), code_hash, expires_at)
              SELECT $2, c.tenant_id, c.id, $3, herald_now() + interval '\(Self.verificationMinutes) minutes'
              FROM \(kind.table) c WHERE c.id = $1
              RETURNING tenant_id)
            SELECT c.tenant_id, c.\(kind.column) AS address, u.name AS user_name, \(userEmail) AS user_email,
                   a.\(templateColumn) AS template_id, a.\(channelColumn) AS channel_id
            FROM \(kind.table) c
            LEFT JOIN users u ON u.id = c.user_id
            LEFT JOIN email_addresses pe ON pe.id = u.primary_email_id
            LEFT JOIN tenant_auth_settings a ON a.tenant_id = c.tenant_id
            WHERE c.id = $1 AND EXISTS (SELECT 1 FROM code)
            """, [contactId, codeId, keyring.digest("verification:\(codeId):\(code)")]).first
        else { throw StoreError(.other, "no \(kind.table) row to verify") }
        let tenantId = try row.decode("tenant_id", as: String.self)
        let templateId = try row.optional("template_id", as: String.self)
        let variables = try Self.withSendContext(connection, tenantId: tenantId, [
            "user": ["name": (try row.optional("user_name", as: String.self)).map(JSONValue.string) ?? .null,
                     "email": (try row.optional("user_email", as: String.self)).map(JSONValue.string) ?? .null],
            "code": .string(code),
            "expiresInMinutes": .int(Int64(Self.verificationMinutes)),
        ])
        _ = try Self.enqueue(connection, NewNotification(
            tenantId: tenantId, templateId: templateId,
            // The name too: should the AuthSettings template be deleted before
            // the send, the worker falls back to the well-known one.
            templateName: "verification-code",
            channelId: try row.optional("channel_id", as: String.self), type: kind.notificationType,
            to: ["to": [.string(try row.decode("address", as: String.self))]], locale: locale, variables: variables,
            rendered: nil, priority: .interactive))
    }

    /// The code that follows a new or changed address counts against the same
    /// windows as `prepareVerification`. Over a limit the address is still
    /// saved, unverified, but no code goes out (asking for one later answers 429
    /// until the window passes), so creating and deleting addresses cannot be
    /// used to pump messages to a number.
    func issueVerificationWithinLimits(_ connection: PostgresConnection, _ kind: ContactKind, contactId: String,
                                       tenantId: String, address: String, locale: String) throws {
        do {
            try takeRateLimit(connection, tenantId: tenantId, scope: kind == .email ? .emailVerification : .phoneVerification,
                              address: address)
        } catch is RateLimited {
            return
        }
        try issueVerification(connection, kind, contactId: contactId, locale: locale)
    }

    /// Sends a fresh code for an unverified address, invalidating older ones.
    /// A send the rate limits refuse throws `RateLimited` before anything
    /// changes: the pending code and its tries stay as they were.
    public func prepareVerification(_ kind: ContactKind, id: String, tenantId: String, locale: String) async throws -> PrepareOutcome {
        try await database.withTransaction { connection in
            guard let row = try connection.query(
                "SELECT verified_at IS NOT NULL AS verified, \(kind.column) AS address FROM \(kind.table) WHERE id = $1 AND tenant_id = $2 FOR UPDATE",
                [id, tenantId]).first
            else { return .notFound }
            if try row.decode("verified", as: Bool.self) { return .alreadyVerified }
            try self.takeRateLimit(connection, tenantId: tenantId,
                                   scope: kind == .email ? .emailVerification : .phoneVerification,
                                   address: try row.decode("address", as: String.self))
            try self.issueVerification(connection, kind, contactId: id, locale: locale)
            return .queued
        }
    }

    /// Without a code: marks the address verified (the operator's action).
    /// With one: checks it against the pending code, counting the try even
    /// when it is wrong (the transaction commits either way).
    public func verify(_ kind: ContactKind, id: String, tenantId: String, code: String?) async throws -> VerifyOutcome {
        try await database.withTransaction { connection in
            guard let contact = try connection.query(
                "SELECT verified_at IS NOT NULL AS verified FROM \(kind.table) WHERE id = $1 AND tenant_id = $2 FOR UPDATE",
                [id, tenantId]).first
            else { return .notFound }
            guard let code else { return try self.markVerified(connection, kind, id: id, tenantId: tenantId) }
            guard let pending = try connection.query("""
                SELECT id, code_hash, attempts, expires_at <= now() AS expired FROM verification_codes
                WHERE \(kind.codeColumn) = $1 AND consumed_at IS NULL ORDER BY created_at DESC LIMIT 1 FOR UPDATE
                """, [id]).first
            else {
                // A used code checked again on a verified address: nothing to do.
                if try contact.decode("verified", as: Bool.self) {
                    return .verified(try Self.contactJSON(connection, kind, id: id, tenantId: tenantId) ?? "{}")
                }
                return .noCode
            }
            let codeId = try pending.decode("id", as: String.self)
            let attempts = try pending.decode("attempts", as: Int.self)
            if attempts >= Self.verificationTries { return .tooManyTries }
            if try pending.decode("expired", as: Bool.self) { return .expired }
            _ = try connection.query("UPDATE verification_codes SET attempts = attempts + 1 WHERE id = $1", [codeId])
            let expected = try pending.decode("code_hash", as: String.self)
            guard ConstantTime.equals(self.keyring.digest("verification:\(codeId):\(code)"), expected) else {
                return .wrong(remaining: Self.verificationTries - attempts - 1)
            }
            return try self.markVerified(connection, kind, id: id, tenantId: tenantId)
        }
    }

    /// Sets `verifiedAt` (keeping an earlier one) and consumes pending codes.
    private func markVerified(_ connection: PostgresConnection, _ kind: ContactKind, id: String,
                              tenantId: String) throws -> VerifyOutcome {
        _ = try connection.query("""
            UPDATE verification_codes SET consumed_at = herald_now() WHERE \(kind.codeColumn) = $1 AND consumed_at IS NULL
            """, [id])
        guard let json = try connection.query("""
            UPDATE \(kind.table) t SET verified_at = coalesce(t.verified_at, herald_now()), updated_at = herald_now()
            WHERE t.id = $1 AND t.tenant_id = $2 RETURNING (\(kind.projectionT))::text AS json
            """, [id, tenantId]).first?.decode("json", as: String.self)
        else { return .notFound }
        return .verified(json)
    }
}
