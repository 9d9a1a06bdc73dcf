import Crypto
import JSON
import Postgres

/// Platform users, tenants, their members, key pairs, settings and brand.
extension Store {
    public struct NewTenant: Sendable {
        public var name: String
        public var slug: String?
        public var environment: String
        public var orgId: String?
        /// A custom domain to register (unverified) with the tenant.
        public var domain: String?
        public init(name: String, slug: String?, environment: String, orgId: String?, domain: String? = nil) {
            self.name = name
            self.slug = slug
            self.environment = environment
            self.orgId = orgId
            self.domain = domain
        }
    }

    /// What a tenant key pair resolves to.
    public struct TenantCredential: Sendable {
        public let tenantId: String
        public let secretDigest: String
    }

    // MARK: platform users

    /// Finds the platform user with this email, creating it if needed; answers its id.
    public func ensurePlatformUser(email: String, name: String = "") async throws -> String {
        try await database.withConnection { connection in
            let rows = try connection.query("""
                INSERT INTO platform_users (id, email, name) VALUES ($1, $2, $3)
                ON CONFLICT (lower(email)) DO UPDATE SET updated_at = platform_users.updated_at
                RETURNING id
                """, [Identifier.make(), email, name])
            return try rows[0].decode("id", as: String.self)
        }
    }

    public func platformUserJSON(id: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("SELECT (\(Projection.platformUser))::text AS json FROM platform_users t WHERE t.id = $1", [id])
                .first?.decode("json", as: String.self)
        }
    }

    // MARK: tenants

    /// Creates a tenant with a fresh key pair, makes the creator its admin
    /// member, and gives it AuthSettings and brand defaults, in one transaction.
    /// `seed`'s templates are copied in inside that transaction (the built-in ones, for instance).
    public func createTenant(_ new: NewTenant, creatorId: String, seed: [TemplateSeed]? = nil
    ) async throws -> (id: String, json: String) {
        let id = Identifier.make()
        let publicKey = KeyToken.make(prefix: "pk_", length: 32)
        let secretKey = KeyToken.make(prefix: "sk_", length: 48)
        let sealed = keyring.seal(secretKey, context: "tenant-secret:\(id)")
        let digest = keyring.digest(secretKey)
        let slug = new.slug ?? Self.slugify(new.name, suffix: String(id.suffix(6)))
        return try await database.withTransaction { connection in
            let rows = try connection.query("""
                INSERT INTO tenants AS t (id, name, slug, environment, public_key, secret_key_enc, secret_key_digest,
                                     creator_id, org_id, brand)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
                RETURNING (\(Projection.tenant))::text AS json
                """, [id, new.name, slug, new.environment, publicKey, sealed, digest, creatorId, new.orgId,
                      Brand.defaults.jsonString])
            _ = try connection.query("""
                INSERT INTO tenant_members (id, tenant_id, platform_user_id, role_admin, role_edit_organizations,
                  role_edit_users, role_edit_config, role_view_users, role_view_organizations, role_view_config,
                  role_view_billing, role_edit_billing)
                VALUES ($1, $2, $3, true, true, true, true, true, true, true, true, true)
                """, [Identifier.make(), id, creatorId])
            _ = try connection.query(
                "INSERT INTO tenant_auth_settings (id, tenant_id, settings) VALUES ($1, $2, $3::jsonb)",
                [Identifier.make(), id, AuthSettingsFields.defaults.jsonString])
            if let domain = new.domain {
                _ = try connection.query("""
                    INSERT INTO domains (id, tenant_id, name, "primary", type, verification_record_type,
                                         verification_record_domain, verification_record_value)
                    VALUES ($1, $2, lower($3), true, 'external', 'TXT', '_herald-challenge.' || lower($3), $4)
                    """, [Identifier.make(), id, domain, "herald-verify=" + KeyToken.make(prefix: "", length: 32)])
            }
            if let seed { try Self.seedTemplates(connection, tenantId: id, seeds: seed) }
            return (id, try rows[0].decode("json", as: String.self))
        }
    }

    /// The tenants this platform user is a member of, newest first.
    public func tenantsJSON(memberId: String) async throws -> [String] {
        try await database.withConnection { connection in
            try connection.query("""
                SELECT (\(Projection.tenant))::text AS json FROM tenants t
                JOIN tenant_members m ON m.tenant_id = t.id AND m.platform_user_id = $1
                ORDER BY t.created_at DESC, t.seq DESC
                """, [memberId]).map { try $0.decode("json", as: String.self) }
        }
    }

    /// The oldest tenant this platform user is a member of.
    public func firstTenantId(memberId: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("""
                SELECT t.id FROM tenants t JOIN tenant_members m ON m.tenant_id = t.id AND m.platform_user_id = $1
                ORDER BY t.created_at, t.seq LIMIT 1
                """, [memberId]).first?.decode("id", as: String.self)
        }
    }

    public enum TenantLookup: Sendable { case id(String), slug(String), publicKey(String) }

    /// The tenant's JSON and id, found by id, slug or public key.
    public func tenant(_ lookup: TenantLookup) async throws -> (id: String, json: String)? {
        let (column, value): (String, String)
        switch lookup {
        case .id(let id): (column, value) = ("id", id)
        case .slug(let slug): (column, value) = ("slug", slug)
        case .publicKey(let key): (column, value) = ("public_key", key)
        }
        return try await database.withConnection { connection in
            guard let row = try connection.query(
                "SELECT t.id, (\(Projection.tenant))::text AS json FROM tenants t WHERE t.\(column) = $1", [value]).first
            else { return nil }
            return (try row.decode("id", as: String.self), try row.decode("json", as: String.self))
        }
    }

    public func authTenantJSON(id: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("SELECT (\(Projection.authTenant))::text AS json FROM tenants t WHERE t.id = $1", [id])
                .first?.decode("json", as: String.self)
        }
    }

    /// Applies the changed fields (`nil` leaves a field as it is; `.some(nil)` clears it).
    public func updateTenant(id: String, name: String?, slug: String?,
                             logoId: String??, iconId: String??) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("""
                UPDATE tenants t SET
                  name = coalesce($2, t.name), slug = coalesce($3, t.slug),
                  logo_id = CASE WHEN $4 THEN $5 ELSE t.logo_id END,
                  logo_uri = CASE WHEN $4 THEN (SELECT f.path FROM files f WHERE f.id = $5 AND f.tenant_id = t.id) ELSE t.logo_uri END,
                  icon_id = CASE WHEN $6 THEN $7 ELSE t.icon_id END,
                  icon_uri = CASE WHEN $6 THEN (SELECT f.path FROM files f WHERE f.id = $7 AND f.tenant_id = t.id) ELSE t.icon_uri END,
                  updated_at = herald_now()
                WHERE t.id = $1
                RETURNING (\(Projection.tenant))::text AS json
                """, [id, name, slug, logoId != nil, logoId ?? nil, iconId != nil, iconId ?? nil])
                .first?.decode("json", as: String.self)
        }
    }

    public func deleteTenant(id: String) async throws -> Bool {
        try await database.withConnection { connection in
            try connection.query("DELETE FROM tenants WHERE id = $1", [id]).affectedRows > 0
        }
    }

    /// A new secret key; the old one stops working at once.
    public func rotateSecretKey(tenantId: String) async throws -> Bool {
        let secretKey = KeyToken.make(prefix: "sk_", length: 48)
        let sealed = keyring.seal(secretKey, context: "tenant-secret:\(tenantId)")
        return try await database.withConnection { connection in
            try connection.query("""
                UPDATE tenants SET secret_key_enc = $2, secret_key_digest = $3, updated_at = herald_now() WHERE id = $1
                """, [tenantId, sealed, keyring.digest(secretKey)]).affectedRows > 0
        }
    }

    public func tenantCredential(publicKey: String) async throws -> TenantCredential? {
        try await database.withConnection { connection in
            guard let row = try connection.query(
                "SELECT id, secret_key_digest FROM tenants WHERE public_key = $1", [publicKey]).first else { return nil }
            return TenantCredential(tenantId: try row.decode("id", as: String.self), secretDigest: try row.decode("secret_key_digest", as: String.self))
        }
    }

    /// The key pair in clear and the domain, for `/auth/tenants/{id}/env`.
    public func tenantEnvironment(id: String) async throws -> (publicKey: String, secretKey: String, domain: String?)? {
        let row = try await database.withConnection { connection in
            try connection.query("""
                SELECT public_key, secret_key_enc,
                       (SELECT d.name FROM domains d WHERE d.tenant_id = t.id ORDER BY d."primary" DESC, d.created_at LIMIT 1) AS domain
                FROM tenants t WHERE id = $1
                """, [id]).first
        }
        guard let row else { return nil }
        return try StoreError.mapped {
            let secret = try keyring.open(try row.decode("secret_key_enc", as: String.self), context: "tenant-secret:\(id)")
            return (try row.decode("public_key", as: String.self), secret, try row.optional("domain", as: String.self))
        }
    }

    // MARK: members

    public func tenantMembersPage(tenantId: String, _ request: PageRequest) async throws -> Page {
        try await pageOf("tenant_members", Projection.tenantMember, tenantId: tenantId, request)
    }

    /// The member's role flags, or nil when the user is not a member.
    public func memberRoles(tenantId: String, platformUserId: String) async throws -> MemberRoles? {
        try await database.withConnection { connection in
            guard let row = try connection.query("""
                SELECT role_admin, role_edit_organizations, role_edit_users, role_edit_config, role_view_users,
                       role_view_organizations, role_view_config, role_view_billing, role_edit_billing
                FROM tenant_members WHERE tenant_id = $1 AND platform_user_id = $2
                """, [tenantId, platformUserId]).first else { return nil }
            var roles: MemberRoles = []
            // `roleFields` lists the columns in `columnOrder`.
            for (flag, field) in zip(MemberRoles.columnOrder, Self.roleFields) where try row.decode(field.column, as: Bool.self) {
                roles.insert(flag)
            }
            return roles
        }
    }

    // MARK: settings and brand

    /// Merges `document` into the settings and sets the references given; answers
    /// the `/auth/tenants/{id}` JSON. References must name the tenant's own rows.
    public func updateAuthSettings(tenantId: String, document: JSONObject,
                                   references: [(column: String, value: String?)]) async throws -> String? {
        try await database.withTransaction { connection in
            _ = try connection.query("""
                UPDATE tenant_auth_settings SET settings = settings || $2::jsonb, updated_at = herald_now()
                WHERE tenant_id = $1
                """, [tenantId, JSONValue.object(document).jsonString])
            for (column, value) in references {
                // The column names come from AuthSettingsFields, never from input.
                _ = try connection.query(
                    "UPDATE tenant_auth_settings SET \(column) = $2 WHERE tenant_id = $1", [tenantId, value])
            }
            return try connection.query("SELECT (\(Projection.authTenant))::text AS json FROM tenants t WHERE t.id = $1", [tenantId])
                .first?.decode("json", as: String.self)
        }
    }

    /// Whether `id` is a row of `table` (a constant of AuthSettingsFields) owned by the tenant.
    public func tenantOwns(table: String, id: String, tenantId: String) async throws -> Bool {
        try await database.withConnection { connection in
            !(try connection.query("SELECT 1 FROM \(table) WHERE id = $1 AND tenant_id = $2", [id, tenantId]).isEmpty)
        }
    }

    public func brandJSON(tenantId: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("SELECT brand::text FROM tenants WHERE id = $1", [tenantId]).first?.decode("brand", as: String.self)
        }
    }

    public func updateBrand(tenantId: String, changes: JSONObject) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("""
                UPDATE tenants SET brand = brand || $2::jsonb, updated_at = herald_now() WHERE id = $1 RETURNING brand::text
                """, [tenantId, JSONValue.object(changes).jsonString]).first?.decode("brand", as: String.self)
        }
    }

    static func slugify(_ name: String, suffix: String) -> String {
        var slug = ""
        for scalar in name.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty, slug.last != "-" {
                slug.append("-")
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return String(slug.prefix(24)) + (slug.isEmpty ? "" : "-") + suffix
    }
}

/// The contract's member role flags.
public struct MemberRoles: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let admin = MemberRoles(rawValue: 1 << 0)
    public static let editOrganizations = MemberRoles(rawValue: 1 << 1)
    public static let editUsers = MemberRoles(rawValue: 1 << 2)
    public static let editConfig = MemberRoles(rawValue: 1 << 3)
    public static let viewUsers = MemberRoles(rawValue: 1 << 4)
    public static let viewOrganizations = MemberRoles(rawValue: 1 << 5)
    public static let viewConfig = MemberRoles(rawValue: 1 << 6)
    public static let viewBilling = MemberRoles(rawValue: 1 << 7)
    public static let editBilling = MemberRoles(rawValue: 1 << 8)

    static let columnOrder: [MemberRoles] = [
        .admin, .editOrganizations, .editUsers, .editConfig, .viewUsers,
        .viewOrganizations, .viewConfig, .viewBilling, .editBilling,
    ]

    /// Admins hold every flag; an edit flag implies its view flag.
    public func grants(_ needed: MemberRoles) -> Bool {
        if contains(.admin) { return true }
        var effective = self
        if contains(.editUsers) { effective.insert(.viewUsers) }
        if contains(.editOrganizations) { effective.insert(.viewOrganizations) }
        if contains(.editConfig) { effective.insert(.viewConfig) }
        if contains(.editBilling) { effective.insert(.viewBilling) }
        return effective.isSuperset(of: needed)
    }
}
