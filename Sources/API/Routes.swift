import Basics
import Logging
import Metrics
import Store

/// Everything a handler may use.
public struct APIContext: Sendable {
    public let store: Store
    public let authenticator: Authenticator
    public let logger: Logger
    /// Where Herald is reached from outside (accept links, upload URLs).
    public let publicURL: String
    /// Answers whether the database is reachable and migrated, for `/readyz`.
    public let readiness: @Sendable () async -> Bool
    /// Copied into every new tenant in the transaction that creates it: its built-in templates.
    public let tenantSeed: [Store.TemplateSeed]?
    public let metrics: MetricsRegistry
    /// Media folder and DNS resolver, from the configuration.
    public let settings: APISettings

    public init(store: Store, authenticator: Authenticator, logger: Logger, publicURL: String,
                readiness: @escaping @Sendable () async -> Bool,
                tenantSeed: [Store.TemplateSeed]? = nil,
                metrics: MetricsRegistry = MetricsRegistry(), settings: APISettings = APISettings()) {
        self.settings = settings
        self.tenantSeed = tenantSeed
        self.metrics = metrics
        self.store = store
        self.authenticator = authenticator
        self.logger = logger
        self.publicURL = publicURL
        self.readiness = readiness
    }
}

/// One operation: method, path pattern (`:name` marks a parameter) and a
/// handler that already authenticates, authorises and maps errors, so the
/// transport only has to route and write what it answers.
public struct Route: Sendable {
    public let method: String
    public let pattern: String
    public let respond: @Sendable (APIRequest) async -> APIResponse
}

/// Collects routes; each `*Routes.swift` file adds its group.
struct RouteBuilder {
    private(set) var routes: [Route] = []
    let prefix: String
    let context: APIContext

    /// A route that needs a principal (tenant key pair or bearer token).
    mutating func on(_ method: String, _ path: String,
                     _ handler: @escaping @Sendable (APIRequest, Access) async throws -> APIResponse) {
        let context = self.context
        let pattern = prefix + path
        routes.append(Route(method: method, pattern: pattern) { request in
            await Self.measured(method, pattern, context) {
                await Self.guarded(request, context) {
                    try await context.store.withRequestDeadline {
                        try await Self.authorized(request, context, handler)
                    }
                }
            }
        })
    }

    /// Checks the request's text, finds its principal and tenant, then runs the handler.
    private static func authorized(_ request: APIRequest, _ context: APIContext,
                                   _ handler: @Sendable (APIRequest, Access) async throws -> APIResponse) async throws -> APIResponse {
        try StorableText.check(parameters: request.parameters, query: request.query)
        let principal = try await context.authenticator.principal(for: request)
        let access = Access(principal: principal, store: context.store)
        try await access.queryTenant(request)
        return try await handler(request, access)
    }

    /// A route that names one resource by a path id: the id is checked (a
    /// malformed one names nothing, so 404 before any query), the resource's
    /// tenant found by `lookup` (absent, soft-deleted and unreachable all 404)
    /// and the caller's roles checked there before the handler runs.
    mutating func owned(_ method: String, _ path: String, _ roles: MemberRoles, id name: String = "id",
                        lookup: @escaping @Sendable (String) async throws -> String?,
                        _ handler: @escaping @Sendable (APIRequest, Access, _ id: String, _ tenantId: String) async throws
                            -> APIResponse) {
        on(method, path) { request, access in
            let id = try request.id(name)
            let tenantId = try await access.owner(of: id, roles, lookup: lookup)
            return try await handler(request, access, id, tenantId)
        }
    }

    /// An open route (probes, metrics, the spec, upload URLs that carry their own token).
    mutating func open(_ method: String, _ path: String, _ handler: @escaping @Sendable (APIRequest) async throws -> APIResponse) {
        let context = self.context
        routes.append(Route(method: method, pattern: path) { request in
            await Self.measured(method, path, context) {
                await Self.guarded(request, context) {
                    try StorableText.check(parameters: request.parameters, query: request.query)
                    return try await handler(request)
                }
            }
        })
    }

    static let requestsMetric = "herald_http_requests_total"
    static let durationMetric = "herald_http_request_duration_seconds"

    /// Counts the request by route pattern (bounded cardinality) and status, and times it.
    static func measured(_ method: String, _ pattern: String, _ context: APIContext,
                         _ body: () async -> APIResponse) async -> APIResponse {
        let started = ContinuousClock.now
        let response = await body()
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        context.metrics.increment(requestsMetric, [method, pattern, String(response.status)])
        context.metrics.observe(durationMetric, [method, pattern], seconds)
        return response
    }

    /// Runs a handler and turns what it throws into the contract's error shape;
    /// unexpected errors are logged with the request id and answered as 500.
    static func guarded(_ request: APIRequest, _ context: APIContext,
                        _ body: () async throws -> APIResponse) async -> APIResponse {
        do {
            return try await body()
        } catch let limited as RateLimited {
            return .tooManyRequests(limited)
        } catch {
            let apiError = APIError.from(error)
            if apiError.code.status >= 500 {
                context.logger.error("request failed", ("requestId", .string(request.requestId)),
                                     ("path", .string(request.path)), ("error", .string(String(describing: error))))
            }
            return .error(apiError)
        }
    }
}

extension APIResponse {
    /// 429 in the contract's error shape, with `Retry-After` in seconds (RFC 9110 §10.2.3).
    static func tooManyRequests(_ limited: RateLimited) -> APIResponse {
        let wait = limited.retryAfterSeconds
        let message = limited.perAddress
            ? "Too many messages to this address; try again in \(wait) s"
            : "Too many codes and invitations sent by this tenant this hour; try again in \(wait) s"
        var response = APIResponse.error(APIError(.tooManyRequests, message))
        response.headers.append(("Retry-After", String(wait)))
        return response
    }
}

public enum APIRoutes {
    public static let basePath = "/api/v0"
    /// The pxyz project's own JavaScript client calls its newest paths without
    /// `/api`: every API route answers there too, the same handler and metric.
    /// Probes, metrics and the spec stay where they are.
    public static let aliasPath = "/v0"

    /// Every route Herald serves.
    public static func all(_ context: APIContext) -> [Route] {
        context.metrics.register(RouteBuilder.requestsMetric, .counter, help: "HTTP requests by route and status",
                                 labels: ["method", "route", "status"])
        context.metrics.register(RouteBuilder.durationMetric, .histogram, help: "HTTP request latency by route",
                                 labels: ["method", "route"])
        var builder = RouteBuilder(prefix: basePath, context: context)
        HealthRoutes.add(to: &builder, context)
        let probes = builder.routes.count
        TenantRoutes.add(to: &builder, context)
        PlatformUserRoutes.add(to: &builder, context)
        ChannelRoutes.add(to: &builder, context)
        TemplateRoutes.add(to: &builder, context)
        TemplateRenderRoutes.add(to: &builder, context)
        TemplateStudioRoutes.add(to: &builder, context)
        NotificationRoutes.add(to: &builder, context)
        DeliveryEventRoutes.add(to: &builder, context)
        SuppressionRoutes.add(to: &builder, context)
        TenantMemberRoutes.add(to: &builder, context)
        DomainRoutes.add(to: &builder, context)
        StatsRoutes.add(to: &builder, context)
        AuthUserRoutes.add(to: &builder, context)
        OrganizationRoutes.add(to: &builder, context)
        MediaRoutes.add(to: &builder, context)
        IdentityRoutes.add(to: &builder, context)
        StudioRoutes.add(to: &builder)
        let aliases = builder.routes[probes...].filter { $0.pattern.hasPrefix(basePath + "/") }.map { route in
            Route(method: route.method, pattern: aliasPath + route.pattern.dropFirst(basePath.count), respond: route.respond)
        }
        return builder.routes + aliases
    }
}
