import Crypto
import JSON
import Postgres

/// Channels: where a notification goes out. Secret settings are split off,
/// sealed with the master key in `provider_secrets_enc`, and replaced by a
/// mask in `provider_settings`, so responses never carry them. The values
/// of a secret object (a webhook's `headers`) are sealed the same way, each
/// shown as the mask under its own name.
extension Store {
    public struct NewChannel: Sendable {
        public var name: String
        public var key: String
        public var description: String?
        public var type: String
        public var provider: String
        public var settings: JSONObject
        public var enabled: Bool
        public init(name: String, key: String, description: String?, type: String, provider: String,
                    settings: JSONObject, enabled: Bool = true) {
            self.name = name
            self.key = key
            self.description = description
            self.type = type
            self.provider = provider
            self.settings = settings
            self.enabled = enabled
        }
    }

    /// A channel with its settings in clear, for the worker and the test endpoint.
    public struct ChannelForSending: Sendable {
        public let id: String
        public let tenantId: String
        public let type: ChannelType
        public let provider: String
        public let enabled: Bool
        public let settings: JSONObject
    }

    public func channelsPage(tenantId: String, _ request: PageRequest) async throws -> Page {
        try await pageOf("channels", Projection.channelListItem, tenantId: tenantId, request)
    }

    public func channelTenant(id: String) async throws -> String? { try await tenantOf("channels", id) }

    public func channelJSON(id: String, tenantId: String) async throws -> String? {
        try await jsonOf("channels", Projection.channel, id, tenantId)
    }

    public func createChannel(tenantId: String, _ new: NewChannel) async throws -> String {
        let id = Identifier.make()
        let (visible, sealed) = split(new.settings, secrets: JSONObject(), channelId: id)
        return try await database.withConnection { connection in
            try connection.query("""
                INSERT INTO channels AS t (id, tenant_id, name, key, description, type, provider, enabled,
                                           provider_settings, provider_secrets_enc)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
                RETURNING (\(Projection.channel))::text AS json
                """, [id, tenantId, new.name, new.key, new.description, new.type, new.provider, new.enabled,
                      JSONValue.object(visible).jsonString, sealed])[0].decode("json", as: String.self)
        }
    }

    /// Applies the given fields; `settings`, when given, replaces the settings,
    /// keeping a stored secret wherever the client sent back its mask.
    public func updateChannel(id: String, tenantId: String, name: String?, key: String?, description: String??,
                              type: String?, provider: String?, settings: JSONObject?) async throws -> String? {
        try await database.withTransaction { connection in
            guard let row = try connection.query(
                "SELECT provider_secrets_enc FROM channels WHERE id = $1 AND tenant_id = $2 FOR UPDATE", [id, tenantId]).first
            else { return nil }
            var visibleText: String?
            var sealed: String?
            if let settings {
                let oldSecrets = try self.openSecrets(try row.decode("provider_secrets_enc", as: String?.self), channelId: id)
                let (visible, newSealed) = self.split(settings, secrets: oldSecrets, channelId: id)
                visibleText = JSONValue.object(visible).jsonString
                sealed = newSealed
            }
            return try connection.query("""
                UPDATE channels t SET name = coalesce($3, t.name), key = coalesce($4, t.key),
                  description = CASE WHEN $5 THEN $6 ELSE t.description END,
                  type = coalesce($7, t.type), provider = coalesce($8, t.provider),
                  provider_settings = coalesce($9::jsonb, t.provider_settings),
                  provider_secrets_enc = CASE WHEN $9::jsonb IS NULL THEN t.provider_secrets_enc ELSE $10 END,
                  updated_at = herald_now()
                WHERE t.id = $1 AND t.tenant_id = $2
                RETURNING (\(Projection.channel))::text AS json
                """, [id, tenantId, name, key, description != nil, description ?? nil, type, provider,
                      visibleText, sealed]).first?.decode("json", as: String.self)
        }
    }

    public func deleteChannel(id: String, tenantId: String) async throws -> Bool {
        try await database.withConnection { connection in
            try connection.query("DELETE FROM channels WHERE id = $1 AND tenant_id = $2", [id, tenantId]).affectedRows > 0
        }
    }

    /// A tenant's channel by id or key, with secrets opened.
    public func channelForSending(reference: String, tenantId: String) async throws -> ChannelForSending? {
        let row = try await database.withConnection { connection in
            try connection.query("""
                SELECT id, type, provider, enabled, provider_settings::text, provider_secrets_enc FROM channels
                WHERE tenant_id = $1 AND (id = $2 OR key = $2) ORDER BY (id = $2) DESC LIMIT 1
                """, [tenantId, reference]).first
        }
        guard let row else { return nil }
        return try StoreError.mapped {
            let id = try row.decode("id", as: String.self)
            var settings = try JSONParser.parse(try row.decode("provider_settings", as: String.self)).objectValue ?? JSONObject()
            for (key, value) in try openSecrets(try row.optional("provider_secrets_enc", as: String.self), channelId: id) {
                settings[key] = value
            }
            return ChannelForSending(id: id, tenantId: tenantId, type: try row.decode("type", as: ChannelType.self),
                                     provider: try row.decode("provider", as: String.self),
                                     enabled: try row.decode("enabled", as: Bool.self), settings: settings)
        }
    }

    /// Seals the header values of webhook channels saved before they were
    /// secrets (still in clear in `provider_settings`); run once at start-up
    /// by the worker. Answers how many channels it sealed.
    public func sealChannelHeaderValues() async throws -> Int {
        try await database.withTransaction { connection in
            let rows = try connection.query("""
                SELECT id, provider_settings::text, provider_secrets_enc FROM channels
                WHERE jsonb_typeof(provider_settings->'headers') = 'object'
                  AND EXISTS (SELECT 1 FROM jsonb_each(provider_settings->'headers') h WHERE h.value <> to_jsonb($1::text))
                FOR UPDATE
                """, [ChannelCatalog.mask])
            var sealedCount = 0
            for row in rows {
                let id = try row.decode("id", as: String.self)
                let settings = try JSONParser.parse(try row.decode("provider_settings", as: String.self)).objectValue ?? JSONObject()
                // Secrets this key cannot open are left alone: sending fails for that channel, not the start.
                guard let old = try? self.openSecrets(try row.decode("provider_secrets_enc", as: String?.self), channelId: id) else { continue }
                // Masked values (other secrets, headers already sealed) are kept from `old`.
                let (visible, sealed) = self.split(settings, secrets: old, channelId: id)
                _ = try connection.query("UPDATE channels SET provider_settings = $2::jsonb, provider_secrets_enc = $3 WHERE id = $1",
                                         [id, JSONValue.object(visible).jsonString, sealed])
                sealedCount += 1
            }
            return sealedCount
        }
    }

    /// Splits settings into what may be shown (secrets masked) and the sealed secrets.
    func split(_ settings: JSONObject, secrets previous: JSONObject, channelId: String) -> (JSONObject, String?) {
        var visible = JSONObject()
        var secrets = JSONObject()
        for (key, value) in settings {
            if ChannelCatalog.secretKeys.contains(key) {
                if value.stringValue == ChannelCatalog.mask, let kept = previous[key] {
                    secrets[key] = kept
                } else if !value.isNull {
                    secrets[key] = value
                }
                if secrets[key] != nil { visible[key] = .string(ChannelCatalog.mask) }
            } else if ChannelCatalog.secretObjectKeys.contains(key), let object = value.objectValue {
                let kept = previous[key]?.objectValue ?? JSONObject()
                var sealedObject = JSONObject()
                var shown = JSONObject()
                for (name, item) in object {
                    if item.stringValue == ChannelCatalog.mask {
                        if let old = kept[name] { sealedObject[name] = old }
                    } else if !item.isNull {
                        sealedObject[name] = item
                    }
                    if sealedObject[name] != nil { shown[name] = .string(ChannelCatalog.mask) }
                }
                if !sealedObject.isEmpty { secrets[key] = .object(sealedObject) }
                visible[key] = .object(shown)
            } else {
                visible[key] = value
            }
        }
        let sealed = secrets.isEmpty ? nil : keyring.seal(JSONValue.object(secrets).jsonString, context: "channel:\(channelId)")
        return (visible, sealed)
    }

    func openSecrets(_ sealed: String?, channelId: String) throws -> JSONObject {
        guard let sealed else { return JSONObject() }
        let text = try keyring.open(sealed, context: "channel:\(channelId)")
        return try JSONParser.parse(text).objectValue ?? JSONObject()
    }
}
