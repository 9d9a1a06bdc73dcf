import API
import Foundation
import HeraldCore
import HeraldTestSupport
import JSON
import Logging
@testable import Store
import Testing

/// Issue 15's send path: group commit (each caller its own id or its own
/// error, idempotency within and across groups), cached lookups that never
/// send a stale template, and the bulk send.
@Suite struct SendPathTests {
    static func send(_ api: APIHarness, _ tenant: TestTenant, name: String, key: String? = nil,
                     credential: Credential? = nil, port: Int? = nil) async throws -> TestHTTPClient.Response {
        let body = #"{"tenantId":"\#(tenant.id)","template":"hello","channel":"inbox","variables":{"name":"\#(name)"},"input":{"to":["u"]}}"#
        var headers = (credential ?? tenant.keys).headers + [("Content-Type", "application/json")]
        if let key { headers.append(("Idempotency-Key", key)) }
        return try await TestHTTPClient.request(port: port ?? api.port, method: "POST", path: "/api/v0/notifications/send",
                                                headers: headers, body: Array(body.utf8))
    }

    static func id(_ response: TestHTTPClient.Response) -> String? {
        response.headers["location"].map { String($0.split(separator: "/").last ?? "") }
    }

    static func rendered(_ api: APIHarness, _ id: String) async throws -> String {
        try await api.pool.withConnection { try $0.query("SELECT rendered->>'text' AS text FROM notifications WHERE id = $1", [id])[0]
            .decode("text", as: String.self) }
    }

    static func count(_ api: APIHarness, _ sql: String) async throws -> Int {
        try await api.pool.withConnection { try $0.query(sql)[0].decode(0, as: Int.self) }
    }

    @Test func concurrentSendsEachGetTheirOwnId() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await NotificationAPITests.setUp(api)
            let responses = try await withThrowingTaskGroup(of: (Int, TestHTTPClient.Response).self) { group in
                for index in 0..<40 { group.addTask { (index, try await Self.send(api, tenant, name: "n\(index)")) } }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            #expect(responses.values.allSatisfy { $0.status == 200 })
            let ids = responses.values.compactMap(Self.id)
            #expect(Set(ids).count == 40)
            for index in [0, 17, 39] {
                let id = try #require(Self.id(responses[index]!))
                #expect(try await Self.rendered(api, id) == "Hello n\(index)", "each caller's id is its own message")
            }
            #expect(try await Self.count(api, "SELECT count(*) FROM notification_queue") == 40)
        }
    }

    /// Store-level, so the group is certain: one send whose channel does not
    /// exist fails alone; the others of its group are written.
    @Test func oneBadSendInAGroupFailsAlone() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await NotificationAPITests.setUp(api)
            func pending(_ channel: String?, key: String? = nil) -> Store.PendingSend {
                Store.PendingSend(Store.NewNotification(tenantId: tenant.id, templateId: nil, templateName: "hello", channelId: channel,
                                                        type: .inapp, to: ["u"], locale: "en", variables: [:], rendered: ["text": "x"]),
                                  idempotencyKey: key, requestDigest: "d")
            }
            for key in [nil, "k"] as [String?] {
                let results = await api.store.sendGroup([pending(nil), pending("no-such-channel", key: key), pending(nil)])
                guard case .success(.queued)? = results.first, case .success(.queued) = results[2] else {
                    Issue.record("the good sends are written: \(results)"); continue
                }
                #expect((results[1].failure as? StoreError)?.code == .missingReference)
            }
            #expect(try await Self.count(api, "SELECT count(*) FROM notifications") == 4)
            #expect(try await Self.count(api, "SELECT count(*) FROM idempotency_keys") == 0, "a failed send holds no key")
        }
    }

    @Test func idempotencyKeysDedupeWithinAndAcrossGroups() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await NotificationAPITests.setUp(api)
            // Within a group (the store's committer): concurrent sends of one key and body, one notification.
            let same = try await withThrowingTaskGroup(of: TestHTTPClient.Response.self) { group in
                for _ in 0..<12 { group.addTask { try await Self.send(api, tenant, name: "Ann", key: "k1") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(same.allSatisfy { $0.status == 200 })
            #expect(Set(same.compactMap(Self.id)).count == 1)
            // Across groups: the same key later, same body: the same id; another body: 409.
            let again = try await Self.send(api, tenant, name: "Ann", key: "k1")
            #expect(Self.id(again) == Self.id(same[0]))
            #expect(try await Self.send(api, tenant, name: "Bob", key: "k1").status == 409)
            // A storm of one new key with two bodies: whichever body is written first wins; every
            // repeat of it answers its id, every other body 409, and one notification is written.
            let storm = try await withThrowingTaskGroup(of: (String, TestHTTPClient.Response).self) { group in
                for index in 0..<16 {
                    let name = index % 4 == 0 ? "Bob" : "Ann"
                    group.addTask { (name, try await Self.send(api, tenant, name: name, key: "k2")) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let winners = storm.filter { $0.1.status == 200 }
            #expect(Set(winners.map(\.0)).count == 1, "one body wins the key")
            #expect(Set(winners.compactMap { Self.id($0.1) }).count == 1)
            #expect(storm.filter { $0.1.status == 409 }.allSatisfy { $0.0 != winners.first?.0 })
            #expect(winners.count + storm.filter { $0.1.status == 409 }.count == 16)
            // One group written by the store with several keys, then a second group reusing them.
            func pending(_ key: String, _ digest: String) -> Store.PendingSend {
                Store.PendingSend(Store.NewNotification(tenantId: tenant.id, templateId: nil, templateName: "hello", channelId: nil,
                                                        type: .inapp, to: ["u"], locale: "en", variables: [:], rendered: nil),
                                  idempotencyKey: key, requestDigest: digest)
            }
            let first = await api.store.sendGroup([pending("a", "1"), pending("b", "1"), pending("c", "1")])
            let second = await api.store.sendGroup([pending("c", "1"), pending("a", "1"), pending("b", "2"), pending("d", "1")])
            #expect(try second[0].get() == first[2].get())
            #expect(try second[1].get() == first[0].get())
            #expect(try second[2].get() == .keyConflict)
            guard case .queued = try second[3].get() else { Issue.record("a new key is written"); return }
            #expect(try await Self.count(api, "SELECT count(*) FROM notifications") == 6)
        }
    }

    @Test func aStaleLookupVersionWritesNothing() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await NotificationAPITests.setUp(api)
            let version = try #require(try await api.store.sendContextWithVersion(tenantId: tenant.id)).version
            let new = Store.NewNotification(tenantId: tenant.id, templateId: nil, templateName: "hello", channelId: nil,
                                            type: .inapp, to: ["u"], locale: "en", variables: [:], rendered: nil)
            #expect(try await api.store.send(Store.PendingSend(new, lookupVersion: version - 1)) == .staleLookups)
            #expect(try await api.store.send(Store.PendingSend(new, idempotencyKey: "s", lookupVersion: version - 1)) == .staleLookups)
            #expect(try await Self.count(api, "SELECT count(*) FROM notifications") == 0)
            #expect(try await Self.count(api, "SELECT count(*) FROM idempotency_keys") == 0, "a stale send gives its key back")
            guard case .queued = try await api.store.send(Store.PendingSend(new, idempotencyKey: "s", lookupVersion: version)) else {
                Issue.record("the current version writes"); return
            }
        }
    }

    /// Two API processes on one database: A caches the template, B edits it,
    /// A's next send renders the new text.
    @Test func anEditInAnotherProcessIsSentAtOnce() async throws {
        try await APIHarness.with { api in
            let (tenant, owner) = try await NotificationAPITests.setUp(api)
            let configuration = api.services.configuration
            let other = Services(configuration: configuration, databaseURL: api.database.url,
                                 masterKey: try configuration.requireSecrets().masterKey, jwtSecret: api.jwtSecret, poolSize: 2,
                                 logger: Logger(label: "test", level: .error))
            let server = try APIServer.start(services: other, port: 0)
            defer { other.pool.close() }
            let first = try await Self.send(api, tenant, name: "Ann")
            #expect(try await Self.rendered(api, try #require(Self.id(first))) == "Hello Ann")
            let template = try await api.call("GET", "/api/v0/tenants/\(tenant.id)/notifications/templates", tenant.keys)
                .json()["data"]?.arrayValue?.first { $0["name"] == "hello" }?["id"]?.stringValue
            let edit = try await TestHTTPClient.request(
                port: server.port, method: "PUT", path: "/api/v0/notifications/templates/\(try #require(template))",
                headers: owner.headers + [("Content-Type", "application/json")], body: Array(#"{"body":{"text":"Bye {{name}}"}}"#.utf8))
            #expect(edit.status == 200, "\(edit.bodyString)")
            let second = try await Self.send(api, tenant, name: "Ann")
            #expect(try await Self.rendered(api, try #require(Self.id(second))) == "Bye Ann")
            // A channel disabled elsewhere is refused at once, not sent from the cache.
            let channel = try await api.pool.withConnection {
                try $0.query("UPDATE channels SET enabled = false WHERE tenant_id = $1 RETURNING id", [tenant.id])[0].decode("id", as: String.self)
            }
            #expect(!channel.isEmpty)
            #expect(try await Self.send(api, tenant, name: "Ann").status == 400)
            await server.shutdown()
        }
    }

    @Test func bulkAnswersEachMessageInOrder() async throws {
        try await APIHarness.with { api in
            let (tenant, _) = try await NotificationAPITests.setUp(api)
            let path = "/api/v0/notifications/send/bulk"
            let body = #"""
                {"tenantId":"\#(tenant.id)","template":"hello","channel":"inbox","messages":[
                  {"variables":{"name":"A"},"input":{"to":["a"]}},
                  {"variables":{"name":"B"},"input":{}},
                  {"variables":{"name":"C"},"input":{"to":["c"]},"idempotencyKey":"c1"},
                  {"variables":{"name":"C"},"input":{"to":["c"]},"idempotencyKey":"c1"},
                  {"variables":{"name":"D"},"input":{"to":["d"]},"idempotencyKey":"c1"},
                  {"variables":{"name":"E"},"input":{"to":["e"]},"scheduledAt":"later"},
                  "not an object"
                ]}
                """#
            let response = try await api.call("POST", path, tenant.keys, json: body)
            #expect(response.status == 200, "\(response.bodyString)")
            let data = try #require(try response.json()["data"]?.arrayValue)
            #expect(data.count == 7)
            let first = try #require(data[0]["notificationId"]?.stringValue)
            _ = try await api.store.fanOutBatches() // unkeyed messages wait in a batch for the worker (BulkBatchTests)
            #expect(try await Self.rendered(api, first) == "Hello A")
            #expect(data[1]["error"]?["code"] == "BAD_REQUEST")
            let keyed = try #require(data[2]["notificationId"]?.stringValue)
            #expect(data[3]["notificationId"]?.stringValue == keyed, "the same key and message: the same notification")
            #expect(data[4]["error"]?["code"] == "CONFLICT")
            #expect(data[5]["error"]?["code"] == "BAD_REQUEST")
            #expect(data[6]["error"]?["code"] == "BAD_REQUEST")
            #expect(try await Self.count(api, "SELECT count(*) FROM notifications") == 2)
            // The key holds across requests too.
            let again = try await api.call("POST", path, tenant.keys, json: #"""
                {"tenantId":"\#(tenant.id)","template":"hello","channel":"inbox","messages":[{"variables":{"name":"C"},"input":{"to":["c"]},"idempotencyKey":"c1"}]}
                """#)
            #expect(try again.json()["data"]?.arrayValue?.first?["notificationId"]?.stringValue == keyed)

            let none = try await api.call("POST", path, tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","template":"hello","channel":"inbox","messages":[]}"#)
            #expect(none.status == 400)
            let many = "[" + Array(repeating: #"{"input":{"to":["u"]}}"#, count: 1_001).joined(separator: ",") + "]"
            let tooMany = try await api.call("POST", path, tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","template":"hello","channel":"inbox","messages":\#(many)}"#)
            #expect(tooMany.status == 400)
            let full = "[" + Array(repeating: #"{"input":{"to":["u"]}}"#, count: 1_000).joined(separator: ",") + "]"
            let thousand = try await api.call("POST", path, tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","template":"hello","channel":"inbox","messages":\#(full)}"#)
            #expect(try thousand.json()["data"]?.arrayValue?.compactMap { $0["notificationId"] }.count == 1_000)
            let noChannel = try await api.call("POST", path, tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","template":"hello","channel":"nope","messages":[{"input":{"to":["u"]}}]}"#)
            #expect(noChannel.status == 400)
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
