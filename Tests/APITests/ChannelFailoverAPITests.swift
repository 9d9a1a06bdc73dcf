import Foundation
import HeraldTestSupport
import JSON
import Testing

/// `providerSettings.fallbackChannelIds` and the circuit breaker on the
/// channel API (issue 14).
@Suite struct ChannelFailoverAPITests {
    func create(_ api: APIHarness, _ tenant: TestTenant, key: String, type: String = "email", provider: String = "email_pxyz",
                settings: String = "{}") async throws -> TestHTTPClient.Response {
        try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
            {"tenantId":"\(tenant.id)","name":"\(key)","key":"\(key)","type":"\(type)","provider":"\(provider)",
             "providerSettings":\(settings)}
            """)
    }

    func fallbackIssue(_ response: TestHTTPClient.Response) throws -> String? {
        guard response.status == 400, try response.json()["message"]?.stringValue == "Input validation failed" else { return nil }
        return try response.json()["issues"]?.arrayValue?.compactMap { $0["message"]?.stringValue }
            .first { $0.contains("providerSettings.fallbackChannelIds") }
    }

    @Test func fallbacksMustBeTheTenantsChannelsOfTheSameTypeWithoutCycles() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "failover@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            func id(_ response: TestHTTPClient.Response) throws -> String {
                try #require(try response.json()["id"]?.stringValue, "\(response.bodyString)")
            }
            let backup = try id(try await create(api, tenant, key: "backup"))
            let sms = try id(try await create(api, tenant, key: "sms", type: "sms", provider: "sms_pxyz"))
            let foreign = try id(try await create(api, other, key: "foreign"))

            let primary = try await api.contractCall("POST", "/api/v0/notifications/channels", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Primary","key":"primary","type":"email","provider":"email_pxyz",
                 "providerSettings":{"fallbackChannelIds":["\(backup)"]}}
                """)
            #expect(primary.status == 200, "\(primary.bodyString)")
            #expect(try primary.json()["providerSettings"]?["fallbackChannelIds"] == [.string(backup)])
            let primaryId = try id(primary)

            for (settings, why) in [
                (#"{"fallbackChannelIds":["\#(sms)"]}"#, "another type"),
                (#"{"fallbackChannelIds":["\#(foreign)"]}"#, "another tenant's"),
                (#"{"fallbackChannelIds":["cmissing00000000"]}"#, "no such channel"),
                (#"{"fallbackChannelIds":"\#(backup)"}"#, "not an array"),
                (#"{"fallbackChannelIds":["\#(backup)","\#(backup)"]}"#, "twice"),
                (#"{"fallbackChannelIds":["a","b","c","d","e","f"]}"#, "more than five"),
            ] {
                let refused = try await create(api, tenant, key: "refused", settings: settings)
                #expect(try fallbackIssue(refused) != nil, "\(why): \(refused.status) \(refused.bodyString)")
            }

            // Itself, and a cycle through the fallbacks' own fallbacks.
            let itself = try await api.call("PUT", "/api/v0/notifications/channels/\(primaryId)", tenant.keys, json: """
                {"providerSettings":{"fallbackChannelIds":["\(primaryId)"]}}
                """)
            #expect(try fallbackIssue(itself) != nil, "\(itself.bodyString)")
            let cycle = try await api.call("PUT", "/api/v0/notifications/channels/\(backup)", tenant.keys, json: """
                {"providerSettings":{"fallbackChannelIds":["\(primaryId)"]}}
                """)
            #expect(try fallbackIssue(cycle)?.contains("cycle") == true, "\(cycle.bodyString)")
        }
    }

    @Test func theCircuitIsShownByAnEndpointAndAHeader() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "circuit@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            let channelId = try #require(try await create(api, tenant, key: "relay").json()["id"]?.stringValue)

            let closed = try await api.call("GET", "/api/v0/notifications/channels/\(channelId)/circuit", tenant.keys)
            #expect(closed.status == 200)
            #expect(try closed.json()["data"]?["state"] == "closed" && closed.json()["data"]?["failures"] == 0, "\(closed.bodyString)")
            #expect(try await api.call("GET", "/api/v0/notifications/channels/\(channelId)", tenant.keys).headers["Herald-Circuit"] == nil)

            // As a worker records it when the circuit opens.
            try await api.pool.withConnection { connection in
                _ = try connection.query("""
                    INSERT INTO channel_circuits (channel_id, tenant_id, state, failures, last_error, opened_at, retry_at)
                    VALUES ($1, $2, 'open', 5, 'connect refused', now(), now() + interval '30 seconds')
                    """, [channelId, tenant.id])
            }
            let open = try await api.call("GET", "/api/v0/notifications/channels/\(channelId)/circuit", tenant.keys)
            let data = try #require(try open.json()["data"])
            #expect(data["state"] == "open" && data["failures"] == 5 && data["lastError"] == "connect refused")
            #expect(data["retryAt"]?.stringValue != nil && data["openedAt"]?.stringValue != nil)
            let channel = try await api.contractCall("GET", "/api/v0/notifications/channels/\(channelId)", tenant.keys)
            let header = try #require(channel.headers["Herald-Circuit"])
            #expect(header.hasPrefix("open; failures=5; retry-at="), "\(header)")

            #expect(try await api.call("GET", "/api/v0/notifications/channels/\(channelId)/circuit", other.keys).status == 404)
        }
    }
}
