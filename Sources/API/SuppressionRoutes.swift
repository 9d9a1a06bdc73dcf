import Store

/// The tenant's suppression list (issue 14): addresses Herald no longer
/// sends to. Hard bounces and complaints add them (delivery events); here
/// operators list, add and remove them. A send to a suppressed address ends
/// `failed` with reason `suppressed` in the worker, without a provider.
enum SuppressionRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store
        let logger = context.logger

        // `?tenantId=` (required), `address` (one address, compared as stored), paging.
        routes.on("GET", "/notifications/suppressions") { request, access in
            var issues: [String] = []
            let tenantId = request.query["tenantId"] ?? ""
            if !Format.isId(tenantId) { issues.append("tenantId: Required") }
            let address = request.query["address"]
            if let address, !isAddress(address) { issues.append("address: \(addressMessage)") }
            let page: PageRequest
            do { page = try request.pageRequest() } catch let error as APIError {
                throw APIError.validation(issues + error.issues)
            }
            if !issues.isEmpty { throw APIError.validation(issues) }
            try await access.tenant(tenantId, .viewConfig)
            return .list(try await store.suppressionsPage(tenantId: tenantId, address: address, page))
        }

        // An address already listed answers the suppression that is there,
        // unchanged (its first reason and detail): adding is idempotent.
        routes.on("POST", "/notifications/suppressions") { request, access in
            var input = Validator(try request.jsonObject())
            let tenantId = input.string("tenantId", pattern: Format.isId)
            let address = input.string("address", min: 1, max: 320, pattern: isAddress, patternMessage: addressMessage)
            let detail = input.optionalString("detail", max: 1000)
            try input.check()
            try await access.tenant(tenantId, .editConfig)
            let added = try await store.addSuppression(tenantId: tenantId, address: address, detail: detail)
            if added.created {
                logger.info("address suppressed by hand", ("tenant", .string(tenantId)), ("by", .string(who(access))),
                            ("requestId", .string(request.requestId)))
            }
            return .envelope(added.json)
        }

        routes.owned("GET", "/notifications/suppressions/:id", .viewConfig, lookup: store.suppressionTenant) { _, _, id, tenantId in
            guard let json = try await store.suppressionJSON(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .envelope(json)
        }

        // Removing one lets sends to the address through again: logged with who did it.
        routes.owned("DELETE", "/notifications/suppressions/:id", .editConfig, lookup: store.suppressionTenant) { request, access, id, tenantId in
            guard let removed = try await store.deleteSuppression(id: id, tenantId: tenantId) else { throw APIError.notFound }
            logger.info("suppression removed: sends to the address go out again", ("tenant", .string(tenantId)),
                        ("suppression", .string(id)), ("address", .string(removed.address)),
                        ("reason", .string(removed.reason)), ("by", .string(who(access))),
                        ("requestId", .string(request.requestId)))
            return .json(["deleted": .bool(true)])
        }
    }

    static let addressMessage = "must be an e-mail address or an E.164 phone number (+ and 8 to 15 digits)"

    /// What a suppression can name: the addresses e-mail and SMS sends take.
    static func isAddress(_ text: String) -> Bool {
        Format.isEmail(text) || Format.isPhone(text)
    }

    /// The caller, as the log names them.
    static func who(_ access: Access) -> String {
        switch access.principal {
        case .tenant(let id): return "tenant key of \(id)"
        case .platformUser(let id): return "platform user \(id)"
        }
    }
}
