import JSON
import Postgres

/// The variables every message of a tenant gets besides its own: `tenant`
/// (name, and logo and home addresses where the tenant has them) and `brand`
/// (the tenant's theme strings). One builder for everything that renders for
/// a recipient — the enqueuers of codes and invitations, API sends — and for
/// the template studio's preview and test, so a preview shows what a
/// recipient gets. A send's own variables are laid over it (`merging`).
extension Store {
    /// One row: the context as JSON text. Keys the tenant has no value for are
    /// left out (not null), so a template's `{{#tenant.logoUri}}` stays false
    /// and missing-variable lists name only what is really absent.
    static let sendContextQuery = """
        SELECT json_build_object(
          'tenant', jsonb_strip_nulls(jsonb_build_object(
            'name', t.name, 'logoUri', nullif(t.logo_uri, ''), 'homeUri', nullif(a.settings->>'homeUri', ''))),
          'brand', t.brand)::text AS context
        FROM tenants t LEFT JOIN tenant_auth_settings a ON a.tenant_id = t.id
        WHERE t.id = $1
        """

    /// The context of `tenantId` on the caller's connection (inside its transaction).
    static func sendContext(_ connection: PostgresConnection, tenantId: String) throws -> JSONValue {
        try context(from: connection.query(sendContextQuery, [tenantId]))
    }

    /// The context of `tenantId`, or `{}` for a tenant that no longer exists.
    /// One statement through `pool.query`: previews run it on every keystroke.
    public func sendContext(tenantId: String) async throws -> JSONValue {
        let rows = try await database.query(Self.sendContextQuery, [tenantId])
        return try StoreError.mapped { try Self.context(from: rows) }
    }

    /// The context of `tenantId` with the tenant's lookup version (migration
    /// 0013), read in one statement: lookups cached under that version are
    /// checked against it when a send is written. Nil for a missing tenant.
    public func sendContextWithVersion(tenantId: String) async throws -> (context: JSONValue, version: Int64)? {
        let rows = try await database.query("""
            SELECT c.context, t.lookup_version FROM tenants t, (\(Self.sendContextQuery)) c WHERE t.id = $1
            """, [tenantId])
        return try StoreError.mapped {
            guard let row = rows.first else { return nil }
            return (try Self.context(from: rows), try row.decode("lookup_version", as: Int64.self))
        }
    }

    private static func context(from rows: PostgresRows) throws -> JSONValue {
        guard let text = try rows.first?.decode("context", as: String.self) else { return .object(JSONObject()) }
        return emailSafe(try JSONParser.parse(text))
    }

    /// Brand lengths in `rem` (the brand's defaults, `0.5rem`) as `px` at 16 px
    /// a rem: brand values go into inline CSS of emails, and many email clients
    /// ignore `rem` (templates/README.md, "Brand colours").
    static func emailSafe(_ context: JSONValue) -> JSONValue {
        guard case .object(var object) = context, case .object(var brand)? = object["brand"] else { return context }
        for (key, value) in brand {
            guard let text = value.stringValue, text.hasSuffix("rem"), let rems = Double(text.dropLast(3)),
                  rems >= 0, rems <= 100 else { continue }
            let pixels = rems * 16
            brand[key] = .string(pixels == pixels.rounded() ? "\(Int(pixels))px" : "\(pixels)px")
        }
        object["brand"] = .object(brand)
        return .object(object)
    }

    /// `variables` laid over the tenant's context: what a send renders with.
    static func withSendContext(_ connection: PostgresConnection, tenantId: String,
                                _ variables: JSONValue) throws -> JSONValue {
        try sendContext(connection, tenantId: tenantId).merging(variables)
    }
}
