import Crypto
import JSON
import Postgres

/// Tenant members and invitations: role changes, removal, inviting (with the
/// invitation email queued in the same transaction) and the invitee's answer.
/// Listing members lives in Store+Tenants.swift.
extension Store {
    /// The contract's role flags and their columns, in MemberRoles.columnOrder.
    public static let roleFields: [(name: String, column: String)] = [
        ("roleAdmin", "role_admin"), ("roleEditOrganizations", "role_edit_organizations"),
        ("roleEditUsers", "role_edit_users"), ("roleEditConfig", "role_edit_config"),
        ("roleViewUsers", "role_view_users"), ("roleViewOrganizations", "role_view_organizations"),
        ("roleViewConfig", "role_view_config"), ("roleViewBilling", "role_view_billing"),
        ("roleEditBilling", "role_edit_billing"),
    ]

    /// Flag values in `roleFields` order; nil leaves a flag as it is (updates)
    /// or false (new invitations).
    public typealias RoleFlagValues = [Bool?]

    /// `role_admin = coalesce($first, role_admin), …` for every flag.
    private static func roleAssignments(firstBind: Int) -> String {
        roleFields.enumerated().map { "\($1.column) = coalesce($\(firstBind + $0), \($1.column))" }
            .joined(separator: ", ")
    }

    private static func binds(_ flags: RoleFlagValues) -> [(any PostgresBind)?] {
        roleFields.indices.map { index -> (any PostgresBind)? in index < flags.count ? flags[index] : nil }
    }

    public enum MemberChange: Sendable {
        case done(String)
        case notFound
        /// The change would leave the tenant without an admin.
        case lastAdmin
    }

    // MARK: members

    public func memberTenant(_ id: String) async throws -> String? {
        try await tenantOf("tenant_members", id)
    }

    /// The member's platform user, to let members leave a tenant themselves.
    public func memberUserId(_ id: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("SELECT platform_user_id FROM tenant_members WHERE id = $1", [id]).first?.decode("platform_user_id", as: String.self)
        }
    }

    /// Whether removing admin from `memberId` would leave its tenant without
    /// one; locks the tenant's admin rows so two demotions cannot race.
    private static func isLastAdmin(_ connection: PostgresConnection, memberId: String, tenantId: String) throws -> Bool {
        let admins = try connection.query("""
            SELECT id FROM tenant_members WHERE tenant_id = $1 AND role_admin ORDER BY id FOR UPDATE
            """, [tenantId]).map { try $0.decode("id", as: String.self) }
        return admins == [memberId]
    }

    public func updateMember(id: String, tenantId: String, flags: RoleFlagValues) async throws -> MemberChange {
        try await database.withTransaction { connection in
            if (flags.first ?? nil) == false, try Self.isLastAdmin(connection, memberId: id, tenantId: tenantId) { return .lastAdmin }
            let rows = try connection.query("""
                UPDATE tenant_members t SET \(Self.roleAssignments(firstBind: 3)), updated_at = herald_now()
                WHERE t.id = $1 AND t.tenant_id = $2 RETURNING (\(Projection.tenantMember))::text AS json
                """, [id, tenantId] + Self.binds(flags))
            guard let row = rows.first else { return .notFound }
            return .done(try row.decode("json", as: String.self))
        }
    }

    public func deleteMember(id: String, tenantId: String) async throws -> MemberChange {
        try await database.withTransaction { connection in
            if try Self.isLastAdmin(connection, memberId: id, tenantId: tenantId) { return .lastAdmin }
            let deleted = try connection.query("DELETE FROM tenant_members WHERE id = $1 AND tenant_id = $2",
                                               [id, tenantId]).affectedRows
            return deleted > 0 ? .done("true") : .notFound
        }
    }

    // MARK: invitations

    public struct NewTenantInvitation: Sendable {
        public var tenantId: String
        public var email: String
        public var flags: RoleFlagValues
        public var inviterId: String
        public var locale: String
        /// Where the accept page lives (`HERALD_PUBLIC_URL`).
        public var publicURL: String
        public init(tenantId: String, email: String, flags: RoleFlagValues, inviterId: String, locale: String, publicURL: String) {
            self.tenantId = tenantId
            self.email = email
            self.flags = flags
            self.inviterId = inviterId
            self.locale = locale
            self.publicURL = publicURL
        }
    }

    public enum InviteOutcome: Sendable {
        case created(json: String, notificationId: String)
        case alreadyMember
    }

    /// Stores the invitation and queues the `tenant-invitation` email in the
    /// same transaction: a failed invite sends nothing, a stored one is never
    /// left unsent. A pending invitation for the address is a 409 (unique index).
    public func inviteMember(_ new: NewTenantInvitation) async throws -> InviteOutcome {
        let id = Identifier.make()
        return try await database.withTransaction { connection in
            let member = try connection.query("""
                SELECT 1 FROM tenant_members m JOIN platform_users u ON u.id = m.platform_user_id
                WHERE m.tenant_id = $1 AND lower(u.email) = lower($2)
                """, [new.tenantId, new.email])
            if !member.isEmpty { return .alreadyMember }
            let flags = Self.roleFields.indices.map { "coalesce($\($0 + 5), false)" }.joined(separator: ", ")
            let rows = try connection.query("""
                INSERT INTO tenant_invitations AS t (id, tenant_id, email, inviter_id, platform_user_id,
                  \(Self.roleFields.map(\.column).joined(separator: ", ")))
                VALUES ($1, $2, $3, $4, (SELECT u.id FROM platform_users u WHERE lower(u.email) = lower($3)), \(flags))
                RETURNING (\(Projection.tenantInvitation))::text AS json,
                  (SELECT u.name FROM platform_users u WHERE u.id = $4) AS inviter_name,
                  (SELECT u.email FROM platform_users u WHERE u.id = $4) AS inviter_email
                """, [id, new.tenantId, new.email, new.inviterId] + Self.binds(new.flags))
            // After the insert, so a second pending invitation is still a 409, not a 429.
            try self.takeRateLimit(connection, tenantId: new.tenantId, scope: .tenantInvitation, address: new.email)
            let row = rows[0]
            let variables = try Self.withSendContext(connection, tenantId: new.tenantId, [
                "inviter": ["name": .string(try row.optional("inviter_name", as: String.self) ?? ""),
                            "email": .string(try row.optional("inviter_email", as: String.self) ?? "")],
                "acceptUrl": .string("\(new.publicURL)/accept-invitation?type=tenant&id=\(id)"),
            ])
            let notificationId = try Self.enqueue(connection, NewNotification(
                tenantId: new.tenantId, templateId: nil, templateName: "tenant-invitation", channelId: nil, type: .email,
                to: ["to": [.string(new.email)]], locale: new.locale, variables: variables, rendered: nil,
                priority: .interactive))
            return .created(json: try row.decode("json", as: String.self), notificationId: notificationId)
        }
    }

    /// Open invitations only: an answered one is history, not something to manage.
    private static let pending = "t.accepted_at IS NULL AND t.declined_at IS NULL"

    public func tenantInvitationsPage(tenantId: String, _ request: PageRequest) async throws -> Page {
        try await database.withConnection { connection in
            try connection.page(PageQuery(from: "tenant_invitations t", projection: Projection.tenantInvitation,
                                          filter: "t.tenant_id = $1 AND \(Self.pending)", binds: [tenantId]), request)
        }
    }

    public func invitationTenant(_ id: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("SELECT tenant_id FROM tenant_invitations t WHERE t.id = $1 AND \(Self.pending)", [id])
                .first?.decode("tenant_id", as: String.self)
        }
    }

    public func updateInvitation(id: String, tenantId: String, flags: RoleFlagValues) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("""
                UPDATE tenant_invitations t SET \(Self.roleAssignments(firstBind: 3)), updated_at = herald_now()
                WHERE t.id = $1 AND t.tenant_id = $2 AND \(Self.pending) RETURNING (\(Projection.tenantInvitation))::text AS json
                """, [id, tenantId] + Self.binds(flags)).first?.decode("json", as: String.self)
        }
    }

    public func deleteInvitation(id: String, tenantId: String) async throws -> Bool {
        try await database.withConnection { connection in
            try connection.query("DELETE FROM tenant_invitations WHERE id = $1 AND tenant_id = $2", [id, tenantId])
                .affectedRows > 0
        }
    }

    // MARK: the invitee

    /// Open invitations addressed to this platform user's email, newest first.
    public func userInvitationsJSON(platformUserId: String) async throws -> [String] {
        try await database.withConnection { connection in
            try connection.query("""
                SELECT (\(Projection.userInvitation))::text AS json FROM tenant_invitations t
                JOIN platform_users u ON u.id = $1 AND lower(t.email) = lower(u.email)
                WHERE \(Self.pending) ORDER BY t.created_at DESC, t.seq DESC
                """, [platformUserId]).map { try $0.decode("json", as: String.self) }
        }
    }

    public enum InvitationAnswer: Sendable { case done, notFound }

    /// Accepting makes the user a member with the invitation's flags (added to
    /// any they already hold); declining only records it. Either way only an
    /// open invitation to the user's own address counts; others are not found.
    public func answerInvitation(id: String, platformUserId: String, accept: Bool) async throws -> InvitationAnswer {
        try await database.withTransaction { connection in
            let rows = try connection.query("""
                UPDATE tenant_invitations t SET platform_user_id = u.id, updated_at = herald_now(),
                  \(accept ? "accepted_at" : "declined_at") = herald_now()
                FROM platform_users u
                WHERE t.id = $1 AND u.id = $2 AND lower(t.email) = lower(u.email) AND \(Self.pending)
                RETURNING t.tenant_id
                """, [id, platformUserId])
            guard !rows.isEmpty else { return .notFound }
            if accept {
                let columns = Self.roleFields.map(\.column)
                _ = try connection.query("""
                    INSERT INTO tenant_members (id, tenant_id, platform_user_id, \(columns.joined(separator: ", ")))
                    SELECT $1, i.tenant_id, $2, \(columns.map { "i.\($0)" }.joined(separator: ", "))
                    FROM tenant_invitations i WHERE i.id = $3
                    ON CONFLICT (tenant_id, platform_user_id) DO UPDATE SET
                      \(columns.map { "\($0) = tenant_members.\($0) OR excluded.\($0)" }.joined(separator: ", ")),
                      updated_at = herald_now()
                    """, [Identifier.make(), platformUserId, id])
            }
            return .done
        }
    }
}
