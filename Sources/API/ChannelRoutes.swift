import Delivery
import JSON
import Store

/// The five Channel operations, with provider validation and masked secrets.
enum ChannelRoutes {
    static let types = ChannelType.allCases.map(\.rawValue)

    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.on("GET", "/tenants/:tenantId/notifications/channels") { request, access in
            let tenantId = try request.id("tenantId")
            try await access.tenant(tenantId, .viewConfig)
            return .list(try await store.channelsPage(tenantId: tenantId, try request.pageRequest()))
        }

        routes.owned("GET", "/notifications/channels/:id", .viewConfig, lookup: store.channelTenant) { request, access, id, tenantId in
            guard let json = try await store.channelJSON(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return try await withCircuitHeader(.json(text: json), store: store, channelId: id, tenantId: tenantId)
        }

        routes.on("POST", "/notifications/channels") { request, access in
            var input = Validator(try request.jsonObject())
            let tenantId = input.string("tenantId", pattern: Format.isId)
            let name = input.string("name", min: 1, max: 100)
            let key = input.string("key", min: 1, max: 100, pattern: isKey, patternMessage: "may contain only a-z, -, _ and .")
            let description = input.optionalString("description", max: 1000)
            let type = input.oneOf("type", types)
            let provider = input.string("provider")
            let settings = input.object("providerSettings")
            try input.check()
            try await access.tenant(tenantId, .editConfig)
            try validate(provider: provider, type: type, settings: settings, partial: false)
            try await checkFallbacks(settings, of: nil, type: type, tenantId: tenantId, store: store)
            let json = try await store.createChannel(tenantId: tenantId, Store.NewChannel(
                name: name, key: key, description: description, type: type, provider: provider, settings: settings))
            return .json(text: json)
        }

        routes.owned("PUT", "/notifications/channels/:id", .editConfig, lookup: store.channelTenant) { request, access, id, tenantId in
            var input = Validator(try request.jsonObject())
            let name = input.optionalString("name", min: 1, max: 100)
            let key = input.optionalString("key", min: 1, max: 100, pattern: isKey, patternMessage: "may contain only a-z, -, _ and .")
            let description = input.nullableString("description", max: 1000)
            let type = input.optionalOneOf("type", types)
            let provider = input.optionalString("provider")
            let settings = input.optionalObject("providerSettings")
            try input.check()
            if provider != nil || type != nil || settings != nil {
                // Validate the channel as it will be after the change.
                guard let current = try await store.channelForSending(reference: id, tenantId: tenantId) else {
                    throw APIError.notFound
                }
                // Stored settings are checked again only when the provider changes.
                try validate(provider: provider ?? current.provider, type: type ?? current.type.rawValue,
                             settings: settings ?? current.settings, partial: settings == nil && provider == nil)
                try await checkFallbacks(settings ?? current.settings, of: id, type: type ?? current.type.rawValue,
                                         tenantId: tenantId, store: store)
            }
            guard let json = try await store.updateChannel(id: id, tenantId: tenantId, name: name, key: key,
                                                           description: description, type: type, provider: provider,
                                                           settings: settings)
            else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.owned("DELETE", "/notifications/channels/:id", .editConfig, lookup: store.channelTenant) { request, access, id, tenantId in
            return .json(["deleted": .bool(try await store.deleteChannel(id: id, tenantId: tenantId))])
        }
        addCircuit(to: &routes, context)
    }

    static func isKey(_ key: String) -> Bool {
        key.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// Herald must be able to send through the provider, for the channel's type,
    /// with the settings it needs, and the settings must pass the rules the
    /// worker sends by (`ChannelSettingsRules`), unless `partial` (the
    /// stored settings stay as they are).
    static func validate(provider name: String, type: String, settings: JSONObject, partial: Bool) throws {
        guard let provider = ChannelCatalog.provider(named: name) else {
            throw APIError.validation(["provider: Herald cannot send through \(name); supported providers: "
                                       + ChannelCatalog.supportedNames.joined(separator: ", ")])
        }
        var issues: [String] = []
        if provider.type.rawValue != type { issues.append("type: provider \(name) sends \(provider.type.rawValue), not \(type)") }
        for key in provider.required {
            guard let value = settings[key]?.stringValue, !value.isEmpty else {
                issues.append("providerSettings.\(key): Required for \(name)")
                continue
            }
        }
        for (key, value) in settings {
            if key == "headers" || key == "fallbackChannelIds" {
                continue  // ChannelSettingsRules: an object of header names to values; a list of ids
            } else if key == ChannelCatalog.maxAttemptsKey {
                if let count = value.intValue, ChannelCatalog.maxAttemptsRange.contains(Int(count)) {} else {
                    let range = ChannelCatalog.maxAttemptsRange
                    issues.append("providerSettings.maxAttempts: Expected a whole number from \(range.lowerBound) to \(range.upperBound)")
                }
            } else if key == ChannelCatalog.deliveryEventsKey {
                if value.boolValue == nil && !value.isNull { issues.append("providerSettings.\(key): Expected boolean") }
            } else if key == "port" {
                if let port = value.intValue, port > 0, port < 65536 {} else { issues.append("providerSettings.port: Expected a port number") }
            } else if !value.isNull, value.stringValue == nil {
                issues.append("providerSettings.\(key): Expected string")
            }
        }
        if let security = settings["security"]?.stringValue, !["starttls", "tls", "none"].contains(security) {
            issues.append("providerSettings.security: must be one of starttls, tls, none")
        }
        if !partial {
            issues += ChannelSettingsRules.issues(provider: name, settings: settings, mask: ChannelCatalog.mask).map(\.description)
        }
        if !issues.isEmpty { throw APIError.validation(issues) }
    }
}
