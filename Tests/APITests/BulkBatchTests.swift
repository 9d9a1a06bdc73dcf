import API
import Crypto
import Delivery
import Foundation
import HeraldCore
import HeraldTestSupport
import JSON
@testable import Store
import Testing
import Worker

/// Bulk sends accepted as one batch row and fanned out later (issue 15,
/// Store+Batches): ids are readable at once, the worker fans out and sends,
/// fan-outs never duplicate or get stuck, keyed messages keep their group.
@Suite struct BulkBatchTests {
    static let path = "/api/v0/notifications/send/bulk"

    /// Posts a bulk send of `messages` (JSON objects) and answers each entry.
    static func bulk(_ api: APIHarness, _ tenant: TestTenant, _ messages: [String]) async throws -> [JSONValue] {
        let response = try await api.call("POST", path, tenant.keys, json: """
            {"tenantId":"\(tenant.id)","template":"hello","channel":"inbox","messages":[\(messages.joined(separator: ","))]}
            """)
        #expect(response.status == 200, "\(response.bodyString)")
        return try #require(try response.json()["data"]?.arrayValue)
    }

    static func message(_ name: String, key: String? = nil) -> String {
        #"{"variables":{"name":"\#(name)"},"input":{"to":["u-\#(name)"]}\#(key.map { #","idempotencyKey":"\#($0)""# } ?? "")}"#
    }

    static func ids(_ answers: [JSONValue]) throws -> [String] {
        try answers.map { try #require($0["notificationId"]?.stringValue) }
    }

    static func count(_ api: APIHarness, _ sql: String, _ binds: [String] = []) async throws -> Int {
        try await api.pool.withConnection { try $0.query(sql, binds)[0].decode(0, as: Int.self) }
    }

    @Test func idsAreReadableAtOnceWithoutAWorker() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await NotificationAPITests.setUp(api)
            let ids = try Self.ids(try await Self.bulk(api, tenant, ["A", "B", "C"].map { Self.message($0) }))
            #expect(Set(ids.map { Identifier.batch(of: $0) }).count == 1, "one batch names every message")
            #expect(ids.allSatisfy(Identifier.isValid))
            #expect(try await Self.count(api, "SELECT count(*) FROM notifications") == 0)
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_batches") == 1)

            // Another tenant is refused and fans nothing out (a refused call writes nothing).
            let (other, _) = try await NotificationAPITests.setUp(api)
            #expect(try await api.call("GET", "/api/v0/notifications/\(ids[1])", other.keys).status == 404)
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_batches") == 1)

            let read = try await api.call("GET", "/api/v0/notifications/\(ids[1])", tenant.keys)
            #expect(read.status == 200, "\(read.bodyString)")
            #expect(try read.json()["data"]?["id"]?.stringValue == ids[1])
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_batches") == 0)
            #expect(try await SendPathTests.rendered(api, ids[2]) == "Hello C", "the whole batch is rows now")
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_queue") == 3)
            // Fanned-out rows keep the request's order (seq) and its acceptance time.
            let ordered = try await api.pool.withConnection {
                try $0.query("SELECT id FROM notifications ORDER BY seq").map { try $0.decode("id", as: String.self) }
            }
            #expect(ordered == ids)
            // A scheduled message keeps its time through the batch.
            let later = try Self.ids(try await Self.bulk(api, tenant, [
                #"{"variables":{"name":"D"},"input":{"to":["d"]},"scheduledAt":"2099-01-01T00:00:00Z"}"#,
            ]))
            #expect(try await api.store.fanOutBatches().notifications == 1)
            #expect(try await Self.count(api, """
                SELECT count(*) FROM notification_queue q JOIN notifications n USING (id)
                WHERE q.id = $1 AND q.run_at = '2099-01-01T00:00:00Z' AND n.scheduled_at = q.run_at
                """, [later[0]]) == 1)
            // An id of the batch beyond its messages, and an unknown one, are 404.
            let beyond = Identifier.batchMember(try #require(Identifier.batch(of: ids[0])), index: 7)
            #expect(try await api.call("GET", "/api/v0/notifications/\(beyond)", tenant.keys).status == 404)
            #expect(try await api.call("GET", "/api/v0/notifications/\(Identifier.make())", tenant.keys).status == 404)
        }
    }

    @Test func theWorkerFansOutAndSends() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await NotificationAPITests.setUp(api)
            let ids = try Self.ids(try await Self.bulk(api, tenant, (0..<5).map { Self.message("n\($0)") }))
            let worker = api.services.makeWorker(configuration: WorkerConfiguration(shutdownTimeout: .seconds(2)),
                                                 providers: { $0 == InAppProvider.name ? InAppProvider() : nil })
            let running = Task { await worker.run() }
            var sent = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while sent < ids.count && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                sent = try await Self.count(api, "SELECT count(*) FROM notifications WHERE status = 'sent'")
            }
            worker.shutdown()
            await running.value
            #expect(sent == ids.count)
            #expect(worker.metrics.fannedOut == ids.count)
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_batches") == 0)
        }
    }

    @Test func concurrentFanOutsDoNotDuplicate() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await NotificationAPITests.setUp(api)
            var ids: [String] = []
            for round in 0..<6 {
                ids += try Self.ids(try await Self.bulk(api, tenant, (0..<20).map { Self.message("r\(round)m\($0)") }))
            }
            let store = api.store
            let batchOfFirst = try #require(Identifier.batch(of: ids[0]))
            let written = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var total = 0
                        while true {
                            let done = try await store.fanOutBatches(limit: 2)
                            total += done.notifications
                            if done.batches == 0 { return total }
                        }
                    }
                }
                group.addTask { try await store.fanOutBatch(id: batchOfFirst).notifications } // a read racing the workers
                return try await group.reduce(0, +)
            }
            #expect(written == ids.count)
            #expect(try await Self.count(api, "SELECT count(*) FROM notifications") == ids.count)
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_queue") == ids.count)
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_batches") == 0)
        }
    }

    @Test func deletedTemplateAndChannelDoNotStopTheFanOut() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await NotificationAPITests.setUp(api)
            let ids = try Self.ids(try await Self.bulk(api, tenant, [Self.message("A"), Self.message("B")]))
            try await api.pool.withConnection { connection in
                _ = try connection.query("DELETE FROM notification_templates WHERE tenant_id = $1", [tenant.id])
                _ = try connection.query("DELETE FROM channels WHERE tenant_id = $1", [tenant.id])
            }
            #expect(try await api.store.fanOutBatches().notifications == 2)
            #expect(try await Self.count(api, """
                SELECT count(*) FROM notifications WHERE template_id IS NULL AND channel_id IS NULL AND template_name = 'hello'
                """) == 2)
            #expect(try await SendPathTests.rendered(api, ids[1]) == "Hello B", "the rendering went with the batch")

            // A deleted tenant takes its pending batches along.
            let (gone, _) = try await NotificationAPITests.setUp(api)
            _ = try await Self.bulk(api, gone, [Self.message("C")]).count
            let (other, _) = try await NotificationAPITests.setUp(api)
            _ = try await Self.bulk(api, other, [Self.message("D")]).count
            try await api.pool.withConnection { _ = try $0.query("DELETE FROM tenants WHERE id = $1", [gone.id]) }
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_batches") == 1)
            #expect(try await api.store.fanOutBatches() == Store.FanOut(batches: 1, notifications: 1))
        }
    }

    @Test func aPendingMessageCanBeCancelled() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await NotificationAPITests.setUp(api)
            let ids = try Self.ids(try await Self.bulk(api, tenant, [Self.message("A"), Self.message("B")]))
            let cancelled = try await api.call("POST", "/api/v0/notifications/\(ids[0])/cancel", tenant.keys)
            #expect(cancelled.status == 200, "\(cancelled.bodyString)")
            #expect(try cancelled.json()["data"]?["status"]?.stringValue == "cancelled")
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_queue WHERE id = $1", [ids[0]]) == 0)
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_queue WHERE id = $1", [ids[1]]) == 1)
            // Retry of a queued message is refused as for any other.
            #expect(try await api.call("POST", "/api/v0/notifications/\(ids[1])/retry", tenant.keys).status == 409)
        }
    }

    @Test func keyedMessagesStillDedupe() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await NotificationAPITests.setUp(api)
            let first = try await Self.bulk(api, tenant, [Self.message("A"), Self.message("K", key: "k1"), Self.message("K", key: "k1")])
            let keyed = try #require(first[1]["notificationId"]?.stringValue)
            #expect(first[2]["notificationId"]?.stringValue == keyed)
            #expect(try await Self.count(api, "SELECT count(*) FROM notifications WHERE id = $1", [keyed]) == 1,
                    "keyed messages are written at once, not batched")
            let again = try await Self.bulk(api, tenant, [Self.message("K", key: "k1"), Self.message("L", key: "k1")])
            #expect(again[0]["notificationId"]?.stringValue == keyed)
            #expect(again[1]["error"]?["code"] == "CONFLICT")
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_batches") == 1, "only the first request had an unkeyed message")
        }
    }

    @Test func aStaleLookupVersionRebuildsTheBatch() async throws {
        try await APIHarness.with { api in
            let (tenant, owner) = try await NotificationAPITests.setUp(api)
            // Store level: a stale version writes nothing.
            let version = try #require(try await api.store.sendContextWithVersion(tenantId: tenant.id)).version
            let shared = Store.NewNotification(tenantId: tenant.id, templateId: nil, templateName: "hello", channelId: nil,
                                               type: .inapp, to: [], locale: "en", variables: [:], rendered: nil)
            let batchId = Identifier.makeBatch()
            let message = Store.BatchMessage(id: Identifier.batchMember(batchId, index: 0), to: ["u"], locale: "en",
                                             variables: [:], rendered: ["text": "x"], scheduledAt: nil)
            let stale = Store.NewBatch(id: batchId, shared: shared, messages: [message], lookupVersion: version - 1)
            #expect(try await api.store.acceptBatch(stale) == .staleLookups)
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_batches") == 0)

            // API level: the cached template is edited; the next bulk send is built again and carries the new text.
            _ = try await Self.bulk(api, tenant, [Self.message("A")])
            let template = try await api.pool.withConnection {
                try $0.query("SELECT id FROM notification_templates WHERE tenant_id = $1 AND name = 'hello'", [tenant.id])[0]
                    .decode("id", as: String.self)
            }
            let edit = try await api.call("PUT", "/api/v0/notifications/templates/\(template)", owner,
                                          json: #"{"body":{"text":"Bye {{name}}"}}"#)
            #expect(edit.status == 200, "\(edit.bodyString)")
            let ids = try Self.ids(try await Self.bulk(api, tenant, [Self.message("B")]))
            #expect(try await api.call("GET", "/api/v0/notifications/\(ids[0])", tenant.keys).status == 200)
            #expect(try await SendPathTests.rendered(api, ids[0]) == "Bye B")
        }
    }
}
