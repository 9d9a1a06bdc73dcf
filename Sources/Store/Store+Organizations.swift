import Crypto
import JSON
import Postgres

/// Organizations of a tenant's users and their memberships. Slugs are unique
/// per tenant; a user belongs to an organization at most once (both enforced
/// by unique constraints, so races answer 409 too).
extension Store {
    public struct OrganizationFields: Sendable {
        public var name: String?
        public var slug: String?
        /// `.some(nil)` clears.
        public var imageUri: String??
        public var publicMeta: JSONValue?
        public var privateMeta: JSONValue?
        public init(name: String? = nil, slug: String? = nil, imageUri: String?? = .none,
                    publicMeta: JSONValue? = nil, privateMeta: JSONValue? = nil) {
            self.name = name
            self.slug = slug
            self.imageUri = imageUri
            self.publicMeta = publicMeta
            self.privateMeta = privateMeta
        }
    }

    // MARK: organizations

    public func organizationsPage(tenantId: String, _ request: PageRequest) async throws -> Page {
        try await pageOf("organizations", Projection.organization, tenantId: tenantId, request)
    }

    public func organizationTenant(id: String) async throws -> String? {
        try await tenantOf("organizations", id)
    }

    public func organizationJSON(id: String, tenantId: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("SELECT (\(Projection.organization))::text AS json FROM organizations t WHERE t.id = $1 AND t.tenant_id = $2",
                                 [id, tenantId]).first?.decode("json", as: String.self)
        }
    }

    /// Without a slug, one is made from the name plus part of the id, so it is unique.
    public func createOrganization(tenantId: String, _ fields: OrganizationFields) async throws -> String {
        let id = Identifier.make()
        let slug = fields.slug ?? Self.slugify(fields.name ?? "", suffix: String(id.suffix(6)))
        return try await database.withConnection { connection in
            try connection.query("""
                INSERT INTO organizations AS t (id, tenant_id, slug, name, image_uri, public_meta, private_meta)
                VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)
                RETURNING (\(Projection.organization))::text AS json
                """, [id, tenantId, slug, fields.name ?? "", fields.imageUri ?? nil,
                      Self.orgJSONB(fields.publicMeta), Self.orgJSONB(fields.privateMeta)])[0].decode("json", as: String.self)
        }
    }

    public func updateOrganization(id: String, tenantId: String, _ fields: OrganizationFields) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("""
                UPDATE organizations t SET name = coalesce($3, t.name), slug = coalesce($4, t.slug),
                  image_uri = CASE WHEN $5 THEN $6 ELSE t.image_uri END,
                  public_meta = CASE WHEN $7 THEN $8::jsonb ELSE t.public_meta END,
                  private_meta = CASE WHEN $9 THEN $10::jsonb ELSE t.private_meta END,
                  updated_at = herald_now()
                WHERE t.id = $1 AND t.tenant_id = $2
                RETURNING (\(Projection.organization))::text AS json
                """, [id, tenantId, fields.name, fields.slug, fields.imageUri != nil, fields.imageUri ?? nil,
                      fields.publicMeta != nil, Self.orgJSONB(fields.publicMeta),
                      fields.privateMeta != nil, Self.orgJSONB(fields.privateMeta)]).first?.decode("json", as: String.self)
        }
    }

    /// Answers the organization as it was (with its member count); its
    /// memberships and invitations go with it.
    public func deleteOrganization(id: String, tenantId: String) async throws -> String? {
        try await database.withTransaction { connection in
            guard let json = try connection.query(
                "SELECT (\(Projection.organization))::text AS json FROM organizations t WHERE t.id = $1 AND t.tenant_id = $2 FOR UPDATE",
                [id, tenantId]).first?.decode("json", as: String.self) else { return nil }
            _ = try connection.query("DELETE FROM organizations WHERE id = $1 AND tenant_id = $2", [id, tenantId])
            return json
        }
    }

    // MARK: memberships

    public func orgMembershipsPage(organizationId: String, _ request: PageRequest) async throws -> Page {
        try await database.withConnection { connection in
            try connection.page(PageQuery(from: "organization_memberships t", projection: Projection.organizationMembership,
                                          filter: "t.organization_id = $1", binds: [organizationId]), request)
        }
    }

    public func orgMembershipTenant(id: String) async throws -> String? {
        try await tenantOf("organization_memberships", id)
    }

    public func orgMembershipJSON(id: String, tenantId: String) async throws -> String? {
        try await database.withConnection { connection in try Self.orgMembershipJSON(connection, id: id, tenantId: tenantId) }
    }

    /// Read in its own statement after a write: `RETURNING` subqueries would
    /// not yet see the row in the role's `_count`.
    static func orgMembershipJSON(_ connection: PostgresConnection, id: String, tenantId: String) throws -> String? {
        try connection.query("""
            SELECT (\(Projection.organizationMembership))::text AS json FROM organization_memberships t
            WHERE t.id = $1 AND t.tenant_id = $2
            """, [id, tenantId]).first?.decode("json", as: String.self)
    }

    /// The organization must already be known to be the tenant's; the user
    /// and role are checked here, in the transaction that inserts.
    public func orgCreateMembership(tenantId: String, organizationId: String, userId: String, roleId: String?,
                                 publicMeta: JSONValue?, privateMeta: JSONValue?) async throws -> String {
        try await database.withTransaction { connection in
            try Self.orgRequireOwned(connection, table: "users", field: "userId", id: userId, tenantId: tenantId)
            try Self.orgRequireOwned(connection, table: "roles", field: "roleId", id: roleId, tenantId: tenantId)
            let id = Identifier.make()
            _ = try connection.query("""
                INSERT INTO organization_memberships (id, tenant_id, organization_id, user_id, role_id,
                                                      public_meta, private_meta)
                VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)
                """, [id, tenantId, organizationId, userId, roleId,
                      Self.orgJSONB(publicMeta), Self.orgJSONB(privateMeta)])
            return try Self.orgMembershipJSON(connection, id: id, tenantId: tenantId) ?? ""
        }
    }

    /// Each argument: `.none` keeps the value, `.some(nil)` clears it.
    public func orgUpdateMembership(id: String, tenantId: String, roleId: String??, publicMeta: JSONValue??,
                                 privateMeta: JSONValue??) async throws -> String? {
        try await database.withTransaction { connection in
            try Self.orgRequireOwned(connection, table: "roles", field: "roleId", id: roleId ?? nil, tenantId: tenantId)
            guard try connection.query("""
                UPDATE organization_memberships t SET
                  role_id = CASE WHEN $3 THEN $4 ELSE t.role_id END,
                  public_meta = CASE WHEN $5 THEN $6::jsonb ELSE t.public_meta END,
                  private_meta = CASE WHEN $7 THEN $8::jsonb ELSE t.private_meta END,
                  updated_at = herald_now()
                WHERE t.id = $1 AND t.tenant_id = $2
                """, [id, tenantId, roleId != nil, roleId ?? nil, publicMeta != nil, Self.orgJSONB(publicMeta ?? nil),
                      privateMeta != nil, Self.orgJSONB(privateMeta ?? nil)]).affectedRows > 0 else { return nil }
            return try Self.orgMembershipJSON(connection, id: id, tenantId: tenantId)
        }
    }

    public func orgDeleteMembership(id: String, tenantId: String) async throws -> String? {
        try await database.withTransaction { connection in
            guard let json = try connection.query("""
                SELECT (\(Projection.organizationMembership))::text AS json FROM organization_memberships t
                WHERE t.id = $1 AND t.tenant_id = $2 FOR UPDATE
                """, [id, tenantId]).first?.decode("json", as: String.self) else { return nil }
            _ = try connection.query("DELETE FROM organization_memberships WHERE id = $1 AND tenant_id = $2", [id, tenantId])
            return json
        }
    }

    /// JSON null and absence are both stored as SQL NULL.
    static func orgJSONB(_ value: JSONValue?) -> String? {
        guard let value, !value.isNull else { return nil }
        return value.jsonString
    }
}

/// Organization invitations. Creating one (and resending it) queues the
/// `organization-invitation` email in the same transaction, so a refused or
/// rolled-back invitation sends nothing. The accept link carries a random
/// token of which only the digest is kept; a resend replaces it.
extension Store {
    /// Who the invitation comes from, and how to reach Herald from outside.
    public struct OrganizationInvitationSending: Sendable {
        /// The platform user making the call, when a bearer token was used.
        public var callerPlatformUserId: String?
        public var locale: String
        public var publicURL: String
        public init(callerPlatformUserId: String?, locale: String, publicURL: String) {
            self.callerPlatformUserId = callerPlatformUserId
            self.locale = locale
            self.publicURL = publicURL
        }
    }

    public func orgInvitationsPage(organizationId: String, _ request: PageRequest) async throws -> Page {
        try await database.withConnection { connection in
            try connection.page(PageQuery(from: "organization_invitations t", projection: Projection.organizationInvitation,
                                          filter: "t.organization_id = $1", binds: [organizationId]), request)
        }
    }

    public func orgInvitationTenant(id: String) async throws -> String? {
        try await tenantOf("organization_invitations", id)
    }

    public func orgInvitationJSON(id: String, tenantId: String) async throws -> String? {
        try await database.withConnection { connection in
            try Self.orgInvitationJSON(connection, id: id, tenantId: tenantId)
        }
    }

    static func orgInvitationJSON(_ connection: PostgresConnection, id: String, tenantId: String) throws -> String? {
        try connection.query("""
            SELECT (\(Projection.organizationInvitation))::text AS json FROM organization_invitations t
            WHERE t.id = $1 AND t.tenant_id = $2
            """, [id, tenantId]).first?.decode("json", as: String.self)
    }

    /// The organization must already be known to be the tenant's.
    public func orgCreateInvitation(tenantId: String, organizationId: String, email: String, roleId: String?,
                                 userId: String?, inviterId: String?, _ sending: OrganizationInvitationSending) async throws -> String {
        let id = Identifier.make()
        return try await database.withTransaction { connection in
            try Self.orgRequireOwned(connection, table: "roles", field: "roleId", id: roleId, tenantId: tenantId)
            try Self.orgRequireOwned(connection, table: "users", field: "userId", id: userId, tenantId: tenantId)
            try Self.orgRequireOwned(connection, table: "users", field: "inviterId", id: inviterId, tenantId: tenantId)
            try self.takeRateLimit(connection, tenantId: tenantId, scope: .organizationInvitation, address: email)
            _ = try connection.query("""
                INSERT INTO organization_invitations (id, tenant_id, organization_id, email, role_id, user_id, inviter_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, [id, tenantId, organizationId, email, roleId, userId, inviterId])
            try self.orgSendInvitation(connection, id: id, tenantId: tenantId, sending)
            return try Self.orgInvitationJSON(connection, id: id, tenantId: tenantId) ?? ""
        }
    }

    /// Sends again with a new link; an answered invitation is not resent.
    public func orgResendInvitation(id: String, tenantId: String, _ sending: OrganizationInvitationSending) async throws -> Bool {
        try await database.withTransaction { connection in
            guard let row = try connection.query("""
                SELECT accepted_at IS NOT NULL OR declined_at IS NOT NULL AS answered, email FROM organization_invitations
                WHERE id = $1 AND tenant_id = $2 FOR UPDATE
                """, [id, tenantId]).first else { return false }
            if try row.decode("answered", as: Bool.self) {
                throw InvalidReference(["id: the invitation was already answered"])
            }
            // Refused inside the window: the link sent last time stays the valid one.
            try self.takeRateLimit(connection, tenantId: tenantId, scope: .organizationInvitation,
                                   address: try row.decode("email", as: String.self))
            try self.orgSendInvitation(connection, id: id, tenantId: tenantId, sending)
            return true
        }
    }

    public func orgUpdateInvitation(id: String, tenantId: String, roleId: String??) async throws -> String? {
        try await database.withTransaction { connection in
            try Self.orgRequireOwned(connection, table: "roles", field: "roleId", id: roleId ?? nil, tenantId: tenantId)
            guard try connection.query("""
                UPDATE organization_invitations t SET role_id = CASE WHEN $3 THEN $4 ELSE t.role_id END,
                  updated_at = herald_now()
                WHERE t.id = $1 AND t.tenant_id = $2
                """, [id, tenantId, roleId != nil, roleId ?? nil]).affectedRows > 0 else { return nil }
            return try Self.orgInvitationJSON(connection, id: id, tenantId: tenantId)
        }
    }

    public func orgDeleteInvitation(id: String, tenantId: String) async throws -> String? {
        try await database.withTransaction { connection in
            guard let json = try Self.orgInvitationJSON(connection, id: id, tenantId: tenantId) else { return nil }
            _ = try connection.query("DELETE FROM organization_invitations WHERE id = $1 AND tenant_id = $2", [id, tenantId])
            return json
        }
    }

    /// Whether `token` is the current accept token of the invitation.
    public func orgInvitationTokenMatches(id: String, token: String) async throws -> Bool {
        let digest = keyring.digest(token)
        return try await database.withConnection { connection in
            !(try connection.query("SELECT 1 FROM organization_invitations WHERE id = $1 AND token_digest = $2",
                                   [id, digest]).isEmpty)
        }
    }

    /// Stores a fresh token's digest and queues the email, on the caller's transaction.
    func orgSendInvitation(_ connection: PostgresConnection, id: String, tenantId: String, _ sending: OrganizationInvitationSending) throws {
        let token = KeyToken.make(prefix: "", length: 40)
        let rows = try connection.query("""
            UPDATE organization_invitations i SET token_digest = $3, sent_at = herald_now()
            FROM organizations o
            WHERE i.id = $1 AND i.tenant_id = $2 AND o.id = i.organization_id
            RETURNING i.email, o.name AS organization_name, (SELECT r.name FROM roles r WHERE r.id = i.role_id) AS role_name,
              (SELECT a.email_channel_id FROM tenant_auth_settings a WHERE a.tenant_id = i.tenant_id) AS channel_id,
              (SELECT json_build_object('name', coalesce(u.name, ''),
                                        'email', (SELECT e.email FROM email_addresses e WHERE e.id = u.primary_email_id))::text
               FROM users u WHERE u.id = i.inviter_id) AS inviter_user,
              (SELECT json_build_object('name', p.name, 'email', p.email)::text FROM platform_users p WHERE p.id = $4)
                AS inviter_platform_user
            """, [id, tenantId, keyring.digest(token), sending.callerPlatformUserId])
        guard let row = rows.first else { return }
        let email = try row.decode("email", as: String.self)
        var variables: JSONObject = ["organization": ["name": .string(try row.decode("organization_name", as: String.self))]]
        if let role = try row.optional("role_name", as: String.self) { variables["role"] = ["name": .string(role)] }
        if let inviter = try row.optional("inviter_user", as: String.self) ?? row.optional("inviter_platform_user", as: String.self) {
            variables["inviter"] = try JSONParser.parse(inviter)
        }
        var base = sending.publicURL
        while base.hasSuffix("/") { base.removeLast() }
        variables["acceptUrl"] = .string("\(base)/accept-invitation?type=organization&id=\(id)&token=\(token)")
        _ = try Self.enqueue(connection, NewNotification(
            tenantId: tenantId, templateId: nil, templateName: "organization-invitation",
            channelId: try row.optional("channel_id", as: String.self), type: .email, to: ["to": [.string(email)]],
            locale: sending.locale, variables: try Self.withSendContext(connection, tenantId: tenantId, .object(variables)),
            rendered: nil, priority: .interactive))
    }
}
