import JSON
import Store

/// Verifying email addresses and phone numbers (API.md §5): `verify` with
/// `{id}` marks the address verified (an operator's action), with
/// `{id, code}` checks the code sent; `prepare-verification` sends a new one.
enum VerificationRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store
        for kind in Store.ContactKind.allCases {
            let base = AuthUserContactRoutes.path(kind)
            let noun = kind == .email ? "email address" : "phone number"
            let lookup: @Sendable (String) async throws -> String? = { try await store.contactTenant(kind, id: $0) }

            routes.on("POST", "/auth/\(base)/verify") { request, access in
                var input = Validator(try request.jsonObject())
                let id = input.string("id", pattern: Format.isId)
                let code = input.optionalString("code", min: 1, max: 32)
                try input.check()
                let tenantId = try await access.owner(of: id, .editUsers, lookup: lookup)
                switch try await store.verify(kind, id: id, tenantId: tenantId, code: code) {
                case .verified(let json):
                    return .json(text: json)
                case .notFound:
                    throw APIError.notFound
                case .noCode:
                    throw APIError(.badRequest, "No verification code is pending for this \(noun); send one with prepare-verification")
                case .expired:
                    throw APIError(.badRequest, "The verification code has expired; send a new one with prepare-verification")
                case .wrong(let remaining):
                    throw APIError(.badRequest, "The verification code is wrong; \(remaining) tr\(remaining == 1 ? "y" : "ies") left",
                                   issues: ["code: does not match the code sent"])
                case .tooManyTries:
                    throw APIError(.tooManyRequests,
                                   "Too many wrong codes for this \(noun); send a new one with prepare-verification")
                }
            }

            routes.on("POST", "/auth/\(base)/prepare-verification") { request, access in
                let id = try AuthUserContactRoutes.bodyId(request)
                let tenantId = try await access.owner(of: id, .editUsers, lookup: lookup)
                switch try await store.prepareVerification(kind, id: id, tenantId: tenantId, locale: request.locale) {
                case .queued: return .success
                case .notFound: throw APIError.notFound
                case .alreadyVerified: throw APIError(.badRequest, "This \(noun) is already verified")
                }
            }
        }
    }
}
