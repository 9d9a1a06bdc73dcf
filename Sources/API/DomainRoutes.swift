import Store

/// A tenant's domains: create, list, read, delete, verify with the DNS TXT
/// record Herald names, and choose the primary one.
enum DomainRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store
        let resolver = context.settings.dnsResolver

        routes.on("GET", "/domains") { request, access in
            let tenantId = request.query["tenantId"] ?? ""
            guard Format.isId(tenantId) else { throw APIError.validation(["tenantId: Required"]) }
            try await access.tenant(tenantId, .viewConfig)
            return .array(try await store.domainsJSON(tenantId: tenantId))
        }

        routes.on("POST", "/domains") { request, access in
            var input = Validator(try request.jsonObject())
            let tenantId = input.string("tenantId", pattern: Format.isId)
            let name = input.string("name", min: 4, max: 253, pattern: isRegistrableName,
                                    patternMessage: "must be a domain name such as auth.example.com")
            try input.check()
            try await access.tenant(tenantId, .editConfig)
            return .json(text: try await store.createDomain(tenantId: tenantId, name: name.lowercased()))
        }

        routes.owned("GET", "/domains/:id", .viewConfig, lookup: store.domainTenant) { request, access, id, _ in
            guard let json = try await store.domainJSON(id: id) else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.owned("DELETE", "/domains/:id", .editConfig, lookup: store.domainTenant) { request, access, id, tenantId in
            return .json(.bool(try await store.deleteDomain(id: id, tenantId: tenantId)))
        }

        // Looks the challenge record up now; a domain once verified stays verified.
        routes.owned("POST", "/domains/:id/verify", .editConfig, lookup: store.domainTenant) { request, access, id, tenantId in
            guard let challenge = try await store.domainChallenge(id: id, tenantId: tenantId) else { throw APIError.notFound }
            let (verified, reason) = challenge.verified
                ? (true, nil) : await check(challenge, DNSTXTLookup.configured(resolver))
            guard let json = try await store.recordDomainCheck(id: id, tenantId: tenantId, verified: verified, reason: reason)
            else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.owned("POST", "/domains/:id/primary", .editConfig, lookup: store.domainTenant) { request, access, id, tenantId in
            guard let json = try await store.makePrimaryDomain(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: json)
        }
    }

    /// Whether the challenge's TXT record holds its value, and if not, why.
    static func check(_ challenge: Store.DomainChallenge, _ resolver: DNSTXTLookup) async -> (Bool, String?) {
        let record = challenge.recordDomain
        switch await resolver.txt(record) {
        case .records(let values) where values.contains(challenge.recordValue):
            return (true, nil)
        case .records(let values) where values.isEmpty:
            return (false, "No TXT record found at \(record)")
        case .records:
            return (false, "The TXT records at \(record) do not include \(challenge.recordValue)")
        case .noSuchName:
            return (false, "\(record) does not exist (NXDOMAIN): add a TXT record there with the value \(challenge.recordValue)")
        case .failed(let message):
            return (false, "DNS lookup of \(record) failed: \(message)")
        }
    }

    /// The contract's pattern: dotted labels of lower-case letters, digits and
    /// hyphens (any case accepted, stored lower-case), ending in a letters-only TLD.
    static func isRegistrableName(_ name: String) -> Bool {
        let lower = name.lowercased()
        guard Format.isDomain(lower), let tld = lower.split(separator: ".").last,
              lower.contains("."), tld.count >= 2, tld.allSatisfy({ $0 >= "a" && $0 <= "z" }) else { return false }
        return true
    }
}
