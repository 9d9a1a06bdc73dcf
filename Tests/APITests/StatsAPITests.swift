import API
import Foundation
import HeraldTestSupport
import JSON
import Postgres
import Testing

/// The auth and media stats, counted from rows the test inserts.
@Suite struct StatsAPITests {
    /// Three users now (one with an email, one active), two 40 days ago; three
    /// sessions now, one 40 days ago; uploads and files of known sizes.
    static func seed(_ api: APIHarness, tenantId: String) async throws {
        try await api.pool.withConnection { connection in
            func id(_ n: Int, _ kind: String) -> String { "c\(kind)\(tenantId.suffix(8))\(String(format: "%012d", n))" }
            for n in 0..<5 {
                let old = n >= 3
                _ = try connection.query("""
                    INSERT INTO users (id, tenant_id, name, created_at, updated_at, last_active_at)
                    VALUES ($1, $2, $3, now() - $4::interval, now() - $4::interval, CASE WHEN $5 THEN now() END)
                    """, [id(n, "usr"), tenantId, "User \(n)", old ? "40 days" : "\(n) minutes", n == 0])
            }
            _ = try connection.query("""
                INSERT INTO email_addresses (id, tenant_id, user_id, email) VALUES ($1, $2, $3, 'zero@example.com')
                """, [id(0, "eml"), tenantId, id(0, "usr")])
            for n in 0..<4 {
                _ = try connection.query("""
                    INSERT INTO sessions (id, tenant_id, user_id, browser, expires_at, created_at)
                    VALUES ($1, $2, $3, 'Firefox', now() + interval '7 days', now() - $4::interval)
                    """, [id(n, "ses"), tenantId, id(n % 3, "usr"), n == 3 ? "40 days" : "\(n) minutes"])
            }
            for (n, size) in [(0, 1000), (1, 2500), (2, 700)] {
                _ = try connection.query("""
                    INSERT INTO uploads (id, tenant_id, access, size, created_at) VALUES ($1, $2, 'public', $3, now() - $4::interval)
                    """, [id(n, "upl"), tenantId, size, n == 2 ? "40 days" : "1 minute"])
                _ = try connection.query("""
                    INSERT INTO files (id, tenant_id, path, size, created_at, deleted_at)
                    VALUES ($1, $2, $3, $4, now() - $5::interval, CASE WHEN $6 THEN now() END)
                    """, [id(n, "fil"), tenantId, "f\(n)", size, n == 2 ? "40 days" : "1 minute", n == 1])
            }
        }
    }

    static func figures(_ response: TestHTTPClient.Response) throws -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for item in try response.json().arrayValue ?? [] {
            if let name = item["name"]?.stringValue { out[name] = item }
        }
        return out
    }

    @Test func authStatsCountTheWindow() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let tenant = try await api.tenant(owner: owner)
            try await Self.seed(api, tenantId: tenant.id)
            let query = "tenantId=\(tenant.id)&filterRangeType=current_thirty_days"
            let stats = try Self.figures(try await api.contractCall("GET", "/api/v0/auth/stats?\(query)", tenant.keys))
            #expect(stats["Total Users"]?["value"]?.intValue == 5)
            #expect(stats["Total Users"]?["changeType"] == "up") // 2 before the window
            #expect(stats["Total Users"]?["change"]?.doubleValue == 150)
            #expect(stats["Sign Ups"]?["value"]?.intValue == 3)
            #expect(stats["Active Users"]?["value"]?.intValue == 1)
            #expect(stats["Sign Ins"]?["value"]?.intValue == 3)
            #expect(stats["Sign Ins"]?["changeType"] == "up")
            let before = try Self.figures(try await api.contractCall(
                "GET", "/api/v0/auth/stats?tenantId=\(tenant.id)&filterRangeType=prior_thirty_days", tenant.keys))
            #expect(before["Sign Ups"]?["value"]?.intValue == 2)
            #expect(before["Sign Ups"]?["changeType"] == "up")
            #expect(before["Total Users"]?["value"]?.intValue == 2)

            let signUps = try await api.contractCall("GET", "/api/v0/auth/stats/recent-sign-ups?\(query)", tenant.keys)
            let users = try #require(try signUps.json().arrayValue)
            #expect(users.compactMap { $0["name"]?.stringValue } == ["User 0", "User 1", "User 2"])
            #expect(users.first?["emailAddresses"]?.arrayValue?.first?["email"] == "zero@example.com")
            let signIns = try await api.contractCall("GET", "/api/v0/auth/stats/recent-sign-ins?\(query)", tenant.keys)
            #expect(try signIns.json().arrayValue?.count == 3)
            #expect(try signIns.json().arrayValue?.first?["browser"] == "Firefox")

            let byDay = try await api.contractCall("GET", "/api/v0/auth/stats/sign-ups-by-day?\(query)", tenant.keys)
            let days = try #require(try byDay.json().arrayValue)
            #expect(days.count >= 30 && days.count <= 31)
            #expect(days.compactMap { $0["count"]?.intValue }.reduce(0, +) == 3)
            #expect(days.first?["date"]?.stringValue?.count == 10)
            let sessions = try await api.contractCall("GET", "/api/v0/auth/stats/sessions-by-day?\(query)", tenant.keys)
            #expect(try sessions.json().arrayValue?.compactMap { $0["count"]?.intValue }.reduce(0, +) == 3)
            let allTime = try await api.contractCall(
                "GET", "/api/v0/auth/stats/sessions-by-day?tenantId=\(tenant.id)&filterRangeType=all_time", tenant.keys)
            #expect(try allTime.json().arrayValue?.compactMap { $0["count"]?.intValue }.reduce(0, +) == 4)
        }
    }

    @Test func mediaStatsSumBytes() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let tenant = try await api.tenant(owner: owner)
            try await Self.seed(api, tenantId: tenant.id)
            let query = "tenantId=\(tenant.id)&filterRangeType=current_thirty_days"
            let stats = try Self.figures(try await api.contractCall("GET", "/api/v0/media/stats?\(query)", tenant.keys))
            #expect(stats["Uploads"]?["value"]?.intValue == 2)
            #expect(stats["Upload Size"]?["value"]?.intValue == 3500)
            #expect(stats["Upload Size"]?["unit"] == "bytes")
            #expect(stats["Files"]?["value"]?.intValue == 2)
            // Kept files only: the deleted one no longer takes space.
            #expect(stats["Storage"]?["value"]?.intValue == 1700)
            #expect(stats["Uploads"]?["changeType"] == "increase")
            let uploads = try await api.contractCall("GET", "/api/v0/media/stats/uploads-by-day?\(query)", tenant.keys)
            #expect(try uploads.json().arrayValue?.compactMap { $0["count"]?.intValue }.reduce(0, +) == 2)
            let sizes = try await api.contractCall("GET", "/api/v0/media/stats/upload-size-by-day?\(query)", tenant.keys)
            let sizeDays = try #require(try sizes.json().arrayValue)
            #expect(sizeDays.compactMap { $0["size"]?.intValue }.reduce(0, +) == 3500)
            #expect(sizeDays.last?["size"]?.intValue == 3500) // today
        }
    }

    @Test func rangesRolesAndIsolation() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            try await Self.seed(api, tenantId: tenant.id)
            // Every range is accepted, and the default is the billing cycle.
            for range in ["current_billing_cycle", "previous_billing_cycle", "current_month", "previous_month",
                          "current_year", "previous_year", "all_time"] {
                let response = try await api.contractCall(
                    "GET", "/api/v0/media/stats?tenantId=\(tenant.id)&filterRangeType=\(range)", tenant.keys)
                #expect(response.status == 200, "\(range)")
            }
            let custom = try await api.contractCall("GET", """
                /api/v0/auth/stats/sign-ups-by-day?tenantId=\(tenant.id)&filterRangeType=custom\
                &from=2020-01-01T00:00:00Z&to=2020-01-03T00:00:00Z
                """, tenant.keys)
            #expect(try custom.json().arrayValue?.compactMap { $0["date"]?.stringValue } == ["2020-01-01", "2020-01-02"])
            #expect(try await api.call("GET", "/api/v0/auth/stats?tenantId=\(tenant.id)&filterRangeType=weekly",
                                       tenant.keys).status == 400)
            #expect(try await api.call("GET", "/api/v0/media/stats?tenantId=\(tenant.id)&filterRangeType=custom",
                                       tenant.keys).status == 400)
            #expect(try await api.call("GET", "/api/v0/auth/stats", tenant.keys).status == 400)
            for path in ["/auth/stats", "/auth/stats/recent-sign-ups", "/auth/stats/recent-sign-ins",
                         "/auth/stats/sign-ups-by-day", "/auth/stats/sessions-by-day", "/media/stats",
                         "/media/stats/uploads-by-day", "/media/stats/upload-size-by-day"] {
                let response = try await api.call("GET", "/api/v0\(path)?tenantId=\(tenant.id)", other.keys)
                #expect(response.status == 404, "\(path)")
            }
            // The other tenant's own stats do not see these rows.
            let empty = try Self.figures(try await api.contractCall(
                "GET", "/api/v0/auth/stats?tenantId=\(other.id)&filterRangeType=all_time", other.keys))
            #expect(empty["Total Users"]?["value"]?.intValue == 0)
            #expect(empty["Total Users"]?["changeType"] == "none")
        }
    }
}
