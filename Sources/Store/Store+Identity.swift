import Basics
import Crypto
import JSON
import Postgres

/// Social sign-in providers and the tenant's JWK signing keys. Client secrets
/// and private keys are sealed with the master key, bound to their row, and
/// never leave through a projection.
extension Store {
    public struct SocialProviderFields: Sendable {
        public var providerKey: String?
        public var enabled: Bool?
        public var useCustomCredentials: Bool?
        public var clientId: String??
        /// `.some(nil)` clears the secret.
        public var clientSecret: String??
        public var redirectUri: String??
        public var additionalScopes: JSONValue??
        public init() {}
    }

    public func socialProvidersPage(tenantId: String, _ request: PageRequest) async throws -> Page {
        try await pageOf("social_providers", Projection.socialProvider, tenantId: tenantId, request)
    }

    public func socialProviderTenant(id: String) async throws -> String? {
        try await tenantOf("social_providers", id)
    }

    public func socialProviderJSON(id: String, tenantId: String) async throws -> String? {
        try await jsonOf("social_providers", Projection.socialProvider, id, tenantId)
    }

    /// One provider per key and tenant: a second one is a unique violation (409).
    public func createSocialProvider(tenantId: String, _ f: SocialProviderFields) async throws -> String {
        let id = Identifier.make()
        let sealed = (f.clientSecret ?? nil).map { keyring.seal($0, context: Self.socialContext(id)) }
        let scopes = (f.additionalScopes ?? nil).map(\.jsonString)
        return try await database.withConnection { connection in
            try connection.query("""
                INSERT INTO social_providers AS t (id, tenant_id, provider_key, enabled, use_custom_credentials, client_id,
                  client_secret_enc, redirect_uri, additional_scopes)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
                RETURNING (\(Projection.socialProvider))::text AS json
                """, [id, tenantId, f.providerKey, f.enabled ?? false, f.useCustomCredentials, f.clientId ?? nil, sealed,
                      f.redirectUri ?? nil, scopes])[0].decode("json", as: String.self)
        }
    }

    /// Applies the fields given; an absent `clientSecret` keeps the stored one.
    public func updateSocialProvider(id: String, tenantId: String, _ f: SocialProviderFields) async throws -> String? {
        let sealed = (f.clientSecret ?? nil).map { keyring.seal($0, context: Self.socialContext(id)) }
        let scopes = (f.additionalScopes ?? nil).map(\.jsonString)
        return try await database.withConnection { connection in
            try connection.query("""
                UPDATE social_providers t SET enabled = coalesce($3, t.enabled),
                  use_custom_credentials = coalesce($4, t.use_custom_credentials),
                  client_id = CASE WHEN $5 THEN $6 ELSE t.client_id END,
                  client_secret_enc = CASE WHEN $7 THEN $8 ELSE t.client_secret_enc END,
                  redirect_uri = CASE WHEN $9 THEN $10 ELSE t.redirect_uri END,
                  additional_scopes = CASE WHEN $11 THEN $12::jsonb ELSE t.additional_scopes END,
                  updated_at = herald_now()
                WHERE t.id = $1 AND t.tenant_id = $2
                RETURNING (\(Projection.socialProvider))::text AS json
                """, [id, tenantId, f.enabled, f.useCustomCredentials, f.clientId != nil, f.clientId ?? nil,
                      f.clientSecret != nil, sealed, f.redirectUri != nil, f.redirectUri ?? nil,
                      f.additionalScopes != nil, scopes]).first?.decode("json", as: String.self)
        }
    }

    /// The client secret in clear (`.some(nil)` when none is set), nil when the provider is absent.
    public func socialProviderSecret(id: String, tenantId: String) async throws -> String?? {
        let row = try await database.withConnection { connection in
            try connection.query("SELECT client_secret_enc FROM social_providers WHERE id = $1 AND tenant_id = $2",
                                 [id, tenantId]).first
        }
        guard let row else { return nil }
        guard let sealed = try StoreError.mapped({ try row.optional("client_secret_enc", as: String.self) }) else { return .some(nil) }
        return .some(try keyring.open(sealed, context: Self.socialContext(id)))
    }

    public func deleteSocialProvider(id: String, tenantId: String) async throws -> Bool {
        try await database.withConnection { connection in
            try connection.query("DELETE FROM social_providers WHERE id = $1 AND tenant_id = $2", [id, tenantId]).affectedRows > 0
        }
    }

    static func socialContext(_ id: String) -> String { "social-provider:\(id)" }

    // MARK: JWK certificates

    /// The tenant's certificates, newest first. A tenant without one gets an
    /// RS256 key pair first, inserted under a lock per tenant so concurrent
    /// first calls make one key.
    public func jwkCertificates(tenantId: String) async throws -> [String] {
        let existing = try await database.withConnection { try Self.jwkCertificateList($0, tenantId: tenantId) }
        if !existing.isEmpty { return existing }
        // Made before the lock, on a thread of its own: RSA generation takes
        // from tens of milliseconds to seconds on a loaded machine, and a
        // concurrent first call waiting that long for the lock would pass its
        // query deadline. A call that loses the race drops its key.
        let pair = try await onOwnThread { try KeyPair.generate(.rs256) }
        return try await database.withTransaction { connection in
            try connection.query("SELECT pg_advisory_xact_lock(hashtext('jwk:' || $1))", [tenantId])
            let again = try Self.jwkCertificateList(connection, tenantId: tenantId)
            if !again.isEmpty { return again }
            let id = Identifier.make()
            try connection.query("""
                INSERT INTO jwk_certificates (id, tenant_id, public_jwk, private_key_enc) VALUES ($1, $2, $3, $4)
                """, [id, tenantId, Self.publicJWKText(pair.publicJWK),
                      self.keyring.seal(pair.privateKeyPEM, context: Self.jwkContext(id))])
            return try Self.jwkCertificateList(connection, tenantId: tenantId)
        }
    }

    static func jwkCertificateList(_ connection: PostgresConnection, tenantId: String) throws -> [String] {
        try connection.query("""
            SELECT (\(Projection.jwkCertificate))::text AS json FROM jwk_certificates t
            WHERE t.tenant_id = $1 ORDER BY t.created_at DESC, t.seq DESC
            """, [tenantId]).map { try $0.decode("json", as: String.self) }
    }

    /// The private key of a certificate, for signing.
    public func jwkKeyPair(id: String, tenantId: String) async throws -> KeyPair? {
        let sealed = try await database.withConnection { connection in
            try connection.query("SELECT private_key_enc FROM jwk_certificates WHERE id = $1 AND tenant_id = $2",
                                 [id, tenantId]).first?.decode("private_key_enc", as: String.self)
        }
        guard let sealed else { return nil }
        return try KeyPair(privateKeyPEM: try keyring.open(sealed, context: Self.jwkContext(id)))
    }

    static func jwkContext(_ id: String) -> String { "jwk-certificate:\(id)" }

    /// The public JWK as compact JSON text, members sorted.
    static func publicJWKText(_ jwk: PublicJWK) -> String {
        JSONValue.object(JSONObject(jwk.fields.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })).jsonString
    }
}
