import Crypto
import Postgres

/// Email addresses and phone numbers: one set of queries over two tables that
/// differ only in names. A new or changed address is unverified and gets a
/// verification code queued in the same transaction.
extension Store {
    public enum ContactKind: String, Sendable, CaseIterable {
        case email, phone

        var table: String { self == .email ? "email_addresses" : "phone_numbers" }
        var column: String { self == .email ? "email" : "phone" }
        /// The column of `verification_codes` pointing at this kind.
        var codeColumn: String { self == .email ? "email_address_id" : "phone_number_id" }
        var primaryColumn: String { self == .email ? "primary_email_id" : "primary_phone_id" }
        /// How values compare for uniqueness (the unique indexes use the same).
        var comparable: String { self == .email ? "lower(\(column))" : column }
        var projectionT: String { self == .email ? Projection.emailAddress("t") : Projection.phoneNumber("t") }
        public var notificationType: ChannelType { self == .email ? .email : .sms }
    }

    public enum ContactDeletion: Sendable { case deleted, notFound, primaryWithOthers }
    public enum ContactPrimary: Sendable { case done(String), notFound, noUser }

    public func contactsPage(_ kind: ContactKind, tenantId: String, _ request: PageRequest) async throws -> Page {
        try await pageOf("\(kind.table)", kind.projectionT, tenantId: tenantId, request)
    }

    public func contactsPage(_ kind: ContactKind, userId: String, tenantId: String, _ request: PageRequest) async throws -> Page {
        try await pageOf("\(kind.table)", kind.projectionT, tenantId: tenantId, userId: userId, request)
    }

    public func contactTenant(_ kind: ContactKind, id: String) async throws -> String? {
        try await tenantOf(kind.table, id)
    }

    public func contactJSON(_ kind: ContactKind, id: String, tenantId: String) async throws -> String? {
        try await database.withConnection { connection in
            try Self.contactJSON(connection, kind, id: id, tenantId: tenantId)
        }
    }

    static func contactJSON(_ connection: PostgresConnection, _ kind: ContactKind, id: String, tenantId: String) throws -> String? {
        try connection.query("SELECT (\(kind.projectionT))::text AS json FROM \(kind.table) t WHERE t.id = $1 AND t.tenant_id = $2",
                             [id, tenantId]).first?.decode("json", as: String.self)
    }

    /// Adds an unverified address to a user of the tenant (nil when there is no
    /// such user); the user's first address of the kind becomes the primary one.
    public func createContact(_ kind: ContactKind, tenantId: String, userId: String, value: String,
                              locale: String) async throws -> String? {
        try await database.withTransaction { connection in
            guard let user = try connection.query(
                "SELECT \(kind.primaryColumn) AS primary_id FROM users WHERE id = $1 AND tenant_id = $2 FOR UPDATE", [userId, tenantId]).first
            else { return nil }
            let id = try self.insertContact(connection, kind, tenantId: tenantId, userId: userId, value: value, locale: locale)
            if try user.optional("primary_id", as: String.self) == nil {
                _ = try connection.query(
                    "UPDATE users SET \(kind.primaryColumn) = $2, updated_at = herald_now() WHERE id = $1", [userId, id])
            }
            return try Self.contactJSON(connection, kind, id: id, tenantId: tenantId)
        }
    }

    /// Inserts an unverified address and queues its verification code; answers its id.
    func insertContact(_ connection: PostgresConnection, _ kind: ContactKind, tenantId: String, userId: String?,
                       value: String, locale: String) throws -> String {
        let id = Identifier.make()
        _ = try connection.query("INSERT INTO \(kind.table) (id, tenant_id, user_id, \(kind.column)) VALUES ($1, $2, $3, $4)",
                                 [id, tenantId, userId, value])
        try issueVerificationWithinLimits(connection, kind, contactId: id, tenantId: tenantId, address: value, locale: locale)
        return id
    }

    /// Changes an email address; a different address is unverified again and
    /// gets a new code. Nil when there is no such address in the tenant.
    public func updateEmailAddress(id: String, tenantId: String, email: String?, locale: String) async throws -> String? {
        try await database.withTransaction { connection in
            guard let row = try connection.query(
                "SELECT email FROM email_addresses WHERE id = $1 AND tenant_id = $2 FOR UPDATE", [id, tenantId]).first
            else { return nil }
            if let email, try row.decode("email", as: String.self).lowercased() != email.lowercased() {
                _ = try connection.query("""
                    UPDATE email_addresses SET email = $2, verified_at = NULL, updated_at = herald_now() WHERE id = $1
                    """, [id, email])
                try self.issueVerificationWithinLimits(connection, .email, contactId: id, tenantId: tenantId,
                                                       address: email, locale: locale)
            } else if let email {
                // Same address, other spelling of case: keep the verification.
                _ = try connection.query("UPDATE email_addresses SET email = $2, updated_at = herald_now() WHERE id = $1",
                                         [id, email])
            }
            return try Self.contactJSON(connection, .email, id: id, tenantId: tenantId)
        }
    }

    /// Deletes an address. A user's primary one goes only when it is their last
    /// of the kind, and then the user has no primary.
    public func deleteContact(_ kind: ContactKind, id: String, tenantId: String) async throws -> ContactDeletion {
        try await database.withTransaction { connection in
            guard let row = try connection.query(
                "SELECT user_id FROM \(kind.table) WHERE id = $1 AND tenant_id = $2", [id, tenantId]).first
            else { return .notFound }
            if let userId = try row.decode("user_id", as: String?.self) {
                // Lock the user first (the order creation uses), then count the others.
                let primary = try connection.query("SELECT \(kind.primaryColumn) AS primary_id FROM users WHERE id = $1 FOR UPDATE",
                                                   [userId]).first?.optional("primary_id", as: String.self)
                if primary == id {
                    let others = try connection.query("SELECT count(*) AS others FROM \(kind.table) WHERE user_id = $1 AND id <> $2",
                                                      [userId, id])[0].decode("others", as: Int.self)
                    if others > 0 { return .primaryWithOthers }
                    _ = try connection.query("""
                        UPDATE users SET \(kind.primaryColumn) = NULL, updated_at = herald_now() WHERE id = $1
                        """, [userId])
                }
            }
            let deleted = try connection.query("DELETE FROM \(kind.table) WHERE id = $1 AND tenant_id = $2",
                                               [id, tenantId]).affectedRows > 0
            return deleted ? .deleted : .notFound
        }
    }

    /// Makes the address its user's primary one.
    public func makePrimary(_ kind: ContactKind, id: String, tenantId: String) async throws -> ContactPrimary {
        try await database.withTransaction { connection in
            guard let row = try connection.query(
                "SELECT user_id FROM \(kind.table) WHERE id = $1 AND tenant_id = $2", [id, tenantId]).first
            else { return .notFound }
            guard let userId = try row.decode("user_id", as: String?.self) else { return .noUser }
            _ = try connection.query("""
                UPDATE users SET \(kind.primaryColumn) = $2, updated_at = herald_now() WHERE id = $1 AND tenant_id = $3
                """, [userId, id, tenantId])
            guard let json = try Self.contactJSON(connection, kind, id: id, tenantId: tenantId) else { return .notFound }
            return .done(json)
        }
    }
}
