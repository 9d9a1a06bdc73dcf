import Foundation
import HeraldTestSupport
import JSON
import Store
import Testing

/// Sending with idempotency keys, logs, operator actions and stats.
@Suite struct NotificationAPITests {
    /// A tenant with an in-app channel and an inapp template.
    static func setUp(_ api: APIHarness) async throws -> (TestTenant, Credential) {
        let owner = try await api.token(email: "send-\(UUID().uuidString.prefix(8))@example.com")
        let tenant = try await api.tenant(owner: owner)
        #expect(try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
            {"tenantId":"\(tenant.id)","name":"Inbox","key":"inbox","type":"inapp","provider":"inapp_pxyz","providerSettings":{}}
            """).status == 200)
        #expect(try await api.call("POST", "/api/v0/notifications/templates", tenant.keys, json: """
            {"tenantId":"\(tenant.id)","type":"inapp","name":"hello","body":{"text":"Hello {{name}}","locales":{"de":{"text":"Hallo {{name}}"}}}}
            """).status == 200)
        return (tenant, owner)
    }

    @Test func sendIsIdempotentPerKeyAndBody() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await Self.setUp(api)
            let body = #"{"tenantId":"\#(tenant.id)","template":"hello","channel":"inbox","variables":{"name":"Ann","code":"123456"},"input":{"to":["user_1"]}}"#
            let first = try await api.contractCall("POST", "/api/v0/notifications/send", tenant.keys, json: body)
            #expect(first.status == 200, "\(first.bodyString)")
            #expect(try first.json() == ["status": "success"])
            let location = try #require(first.headers["location"])
            #expect(location.hasPrefix("/api/v0/notifications/c"))

            // The key comes with the request: same key and body, same notification.
            let keyed = [("Idempotency-Key", "order-42")]
            let a = try await api.call("POST", "/api/v0/notifications/send", tenant.keys, json: body, headers: keyed)
            let b = try await api.call("POST", "/api/v0/notifications/send", tenant.keys, json: body, headers: keyed)
            #expect(a.headers["location"] == b.headers["location"])
            #expect(a.headers["location"] != location)
            let other = try await api.call("POST", "/api/v0/notifications/send", tenant.keys,
                                           json: body.replacingOccurrences(of: "Ann", with: "Bob"), headers: keyed)
            #expect(other.status == 409)

            let one = try await api.call("GET", location, tenant.keys)
            #expect(one.status == 200)
            let data = try one.json()["data"]
            #expect(data?["status"] == "queued")
            #expect(data?["variables"] == ["name": "Ann"], "verification codes never leave through the API")
            #expect(data?["deliveryAttempts"] == [])

            let log = try await api.call("GET", "/api/v0/tenants/\(tenant.id)/notifications/inapp", tenant.keys)
            #expect(try log.json()["data"]?.arrayValue?.count == 2)
            #expect(try log.json()["meta"]?["total"] == 2)
            let emails = try await api.call("GET", "/api/v0/tenants/\(tenant.id)/notifications/emails", tenant.keys)
            #expect(try emails.json()["data"]?.arrayValue?.count == 0)
        }
    }

    @Test func sendRefusesWhatCannotBeSent() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await Self.setUp(api)
            let noChannel = try await api.contractCall("POST", "/api/v0/notifications/send", tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","template":"hello","channel":"nope","variables":{},"input":{"to":["u"]}}"#)
            #expect(noChannel.status == 400)
            let noRecipient = try await api.call("POST", "/api/v0/notifications/send", tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","template":"hello","channel":"inbox","variables":{},"input":{}}"#)
            #expect(noRecipient.status == 400)
            let badSchedule = try await api.call("POST", "/api/v0/notifications/send", tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","template":"hello","channel":"inbox","input":{"to":["u"],"scheduledAt":"tomorrow"}}"#)
            #expect(badSchedule.status == 400)
            let count = try await api.pool.withConnection { try $0.query("SELECT count(*) FROM notifications")[0].decode(0, as: Int.self) }
            #expect(count == 0, "refused sends queue nothing")
        }
    }

    @Test func cancelAndRetryOnlyFromTheRightStates() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await Self.setUp(api)
            let sent = try await api.call("POST", "/api/v0/notifications/send", tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","template":"hello","channel":"inbox","input":{"to":["u"],"locale":"de-AT","scheduledAt":"2099-01-01T00:00:00.000Z"}}"#)
            let location = try #require(sent.headers["location"])
            let queued = try await api.call("GET", location, tenant.keys).json()["data"]
            #expect(queued?["locale"] == "de")
            #expect(queued?["scheduledAt"] == "2099-01-01T00:00:00.000Z")

            #expect(try await api.call("POST", location + "/retry", tenant.keys).status == 409)
            let cancelled = try await api.call("POST", location + "/cancel", tenant.keys)
            #expect(try cancelled.json()["data"]?["status"] == "cancelled")
            #expect(try await api.call("POST", location + "/cancel", tenant.keys).status == 409)
            let retried = try await api.call("POST", location + "/retry", tenant.keys)
            #expect(try retried.json()["data"]?["status"] == "queued")
            // Leased to a worker it is being sent: shown so, and too late to cancel.
            let claimed = try await api.services.store.queue(workerId: "test-worker", lease: .seconds(30)).claim(limit: 10)
            #expect(claimed.map(\.id) == [location.split(separator: "/").last.map(String.init) ?? "?"])
            #expect(try await api.call("GET", location, tenant.keys).json()["data"]?["status"] == "sending")
            #expect(try await api.call("POST", location + "/cancel", tenant.keys).status == 409)
            let other = try await api.tenant(owner: try await api.token(email: "nosy@example.com"), name: "Nosy Tenant")
            #expect(try await api.call("POST", location + "/cancel", other.keys).status == 404)
        }
    }

    /// A channel's `maxAttempts` is the budget of what is sent through it,
    /// at first and again after an operator's retry; 8 without one.
    @Test func theChannelSetsTheAttemptBudget() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await Self.setUp(api)
            #expect(try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Patient inbox","key":"patient","type":"inapp","provider":"inapp_pxyz","providerSettings":{"maxAttempts":3}}
                """).status == 200)
            func send(_ channel: String) async throws -> String {
                let sent = try await api.call("POST", "/api/v0/notifications/send", tenant.keys, json:
                    #"{"tenantId":"\#(tenant.id)","template":"hello","channel":"\#(channel)","input":{"to":["u"]}}"#)
                return try #require(sent.headers["location"]?.split(separator: "/").last.map(String.init))
            }
            func budget(_ id: String) async throws -> Int {
                try await api.pool.withConnection {
                    try $0.query("SELECT max_attempts FROM notifications WHERE id = $1", [id])[0].decode(0)
                }
            }
            let limited = try await send("patient")
            let standard = try await send("inbox")
            #expect(try await budget(limited) == 3)
            #expect(try await budget(standard) == 8)
            // Two attempts made, then failed: a retry grants the channel's budget again.
            try await api.pool.withConnection { connection in
                _ = try connection.query("DELETE FROM notification_queue WHERE id = $1", [limited])
                _ = try connection.query("UPDATE notifications SET status = 'failed', attempts = 2 WHERE id = $1", [limited])
            }
            #expect(try await api.call("POST", "/api/v0/notifications/\(limited)/retry", tenant.keys).status == 200)
            #expect(try await budget(limited) == 5)
        }
    }

    @Test func statsCountFromTheTable() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await Self.setUp(api)
            for _ in 0..<3 {
                _ = try await api.call("POST", "/api/v0/notifications/send", tenant.keys, json:
                    #"{"tenantId":"\#(tenant.id)","template":"hello","channel":"inbox","input":{"to":["u"]}}"#)
            }
            let stats = try await api.contractCall("GET", "/api/v0/notifications/stats?tenantId=\(tenant.id)", tenant.keys)
            let total = try stats.json().arrayValue?.first { $0["name"] == "Notifications" }
            #expect(total?["value"] == 3)
            #expect(total?["changeType"] == "increase")
            for range in ["current_thirty_days", "previous_month", "all_time", "current_year"] {
                let day = try await api.contractCall("GET", "/api/v0/notifications/stats/day?tenantId=\(tenant.id)&filterRangeType=\(range)", tenant.keys)
                #expect(day.status == 200)
                if range != "previous_month" {
                    #expect(try day.json().arrayValue?.reduce(0) { $0 + ($1["count"]?.intValue ?? 0) } == 3, "\(range)")
                }
            }
            let thirty = try await api.call("GET", "/api/v0/notifications/stats/day?tenantId=\(tenant.id)&filterRangeType=current_thirty_days", tenant.keys)
            #expect(try thirty.json().arrayValue?.count == 31)
            #expect(try await api.call("GET", "/api/v0/notifications/stats?tenantId=\(tenant.id)&filterRangeType=week", tenant.keys).status == 400)
        }
    }
}
