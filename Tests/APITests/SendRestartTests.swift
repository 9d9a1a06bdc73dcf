import API
import Basics
import Crypto
import Foundation
import HeraldCore
import HeraldTestSupport
import LocalPostgres
import Logging
import Store
import Testing

/// PostgreSQL stops while sends are being written in groups: every caller is
/// answered 200 or a clean 503, and every send answered 200 is in the
/// database once it is back.
@Suite struct SendRestartTests {
    @Test func aRestartCutsGroupsCleanlyAndLosesNoAnsweredSend() async throws {
        try await RestartableHerald.with(email: "send-restart@example.com") { herald in
            let headers = [("Authorization", "Bearer \(herald.token)"), ("Content-Type", "application/json")]
            let port = herald.port
            let services = herald.services
            func post(_ path: String, _ body: String) async throws -> TestHTTPClient.Response {
                try await TestHTTPClient.request(port: port, method: "POST", path: "/api/v0\(path)", headers: headers, body: Array(body.utf8))
            }
            let tenant = try #require(try await post("/tenants", #"{"name":"Restart","environment":"development"}"#).json()["id"]?.stringValue)
            #expect(try await post("/notifications/channels", #"{"tenantId":"\#(tenant)","name":"Inbox","key":"inbox","type":"inapp","provider":"inapp_pxyz","providerSettings":{}}"#).status == 200)
            #expect(try await post("/notifications/templates", #"{"tenantId":"\#(tenant)","type":"inapp","name":"hello","body":{"text":"Hi"}}"#).status == 200)
            let send = #"{"tenantId":"\#(tenant)","template":"hello","channel":"inbox","input":{"to":["u"]}}"#

            // Eight callers send until each has seen a few failures; PostgreSQL stops under them.
            let answered = Locked<(ids: [String], statuses: [Int])>(([], []))
            let stopped = Locked(false)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var failures = 0
                        while failures < 3 {
                            let response = try await post("/notifications/send", send)
                            answered.withLock { $0.statuses.append(response.status) }
                            if response.status == 200, let location = response.headers["location"] {
                                answered.withLock { $0.ids.append(String(location.split(separator: "/").last ?? "")) }
                            } else if stopped.withLock({ $0 }) {
                                failures += 1
                            }
                        }
                    }
                }
                while answered.withLock({ $0.ids.count }) < 40 { try await Task.sleep(for: .milliseconds(5)) }
                try await herald.stopDatabase()
                stopped.withLock { $0 = true }
                try await group.waitForAll()
            }
            let (ids, statuses) = answered.withLock { $0 }
            #expect(Set(statuses).isSubset(of: [200, 503]), "only clean failures: \(Set(statuses))")
            #expect(statuses.contains(503))

            try await herald.startDatabase()
            var stored = -1
            for _ in 0..<40 where stored < 0 {
                do {
                    stored = try await services.pool.withConnection {
                        try $0.query("SELECT count(*) FROM notifications WHERE id = ANY($1::text[])", [ids])[0].decode(0, as: Int.self)
                    }
                } catch {
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
            #expect(stored == ids.count, "every send answered 200 is stored")
            #expect(Set(ids).count == ids.count)
            #expect(try await post("/notifications/send", send).status == 200, "sends work again without a restart of Herald")
        }
    }
}
