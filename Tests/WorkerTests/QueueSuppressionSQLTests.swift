import Foundation
import Postgres
@testable import Store
import Testing

/// The claim's `suppressed` column and `finish`'s delivery status
/// (Store+QueueSuppression), on their own.
@Suite struct QueueSuppressionSQLTests {
    func claim(_ fixture: QueueFixture, _ limit: Int) async throws -> [Store.ClaimedNotification] {
        try await fixture.pool.withConnection { try Store.claim($0, workerId: "w1", limit: limit, lease: .seconds(30)) }
    }

    @Test func theClaimBringsEachRowsSuppressedRecipientsAlong() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        try await fixture.store.suppress(tenantId: fixture.tenantId, address: "Ann@Example.com", reason: .hardBounce,
                                         detail: "550 no such user", notificationId: nil)
        try await fixture.store.suppress(tenantId: fixture.tenantId, address: "+4915112345678", reason: .complaint,
                                         detail: nil, notificationId: nil)
        let other = try await fixture.makeTenant()
        try await fixture.store.suppress(tenantId: other, address: "bob@example.com", reason: .manual, detail: nil,
                                         notificationId: nil)
        let mail = try await fixture.insert(1, type: "email", to: #"{"to":["ANN@example.com","bob@example.com"],"cc":"ann@EXAMPLE.com"}"#)
        let sms = try await fixture.insert(1, type: "sms", to: #"{"to":["+4915112345678"]}"#)
        let clear = try await fixture.insert(1, type: "email", to: #"{"to":["carol@example.com"]}"#)
        // In-app rows name users, not addresses: never looked up.
        let inapp = try await fixture.insert(1, type: "inapp", to: #"["ann@example.com"]"#)
        let rows = Dictionary(uniqueKeysWithValues: try await claim(fixture, 10).map { ($0.id, $0.suppressed) })
        #expect(rows.count == 4)
        // bob@ is suppressed by the other tenant only.
        #expect(rows[mail[0]] == [Store.SuppressedRecipient(address: "ann@example.com", reason: "hard_bounce")],
                "\(rows[mail[0]] ?? [])")
        #expect(rows[sms[0]] == [Store.SuppressedRecipient(address: "+4915112345678", reason: "complaint")])
        #expect(rows[clear[0]] == [])
        #expect(rows[inapp[0]] == [])
    }

    /// Each row's recipients are looked up through the list's primary key,
    /// whatever its size; never a scan of the list per row.
    @Test func theLookupUsesThePrimaryKey() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        try await fixture.insert(500, type: "email", to: #"{"to":["user@example.com"],"cc":["copy@example.com"]}"#)
        let plan = try await fixture.pool.withConnection { connection -> String in
            _ = try connection.query("""
                INSERT INTO notification_suppressions (id, tenant_id, address, reason)
                SELECT 's' || g, $1, 'user' || g || '@example.com', 'hard_bounce' FROM generate_series(1, 5000) g
                """, [fixture.tenantId])
            _ = try connection.execute("ANALYZE notifications, notification_suppressions")
            return try connection.query("""
                EXPLAIN SELECT n.id, \(Store.suppressedColumn) FROM notifications n WHERE n.tenant_id = $1
                """, [fixture.tenantId]).map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
        }
        #expect(plan.contains("Index Scan using notification_suppressions_pkey"), "\(plan)")
        #expect(!plan.contains("Seq Scan on notification_suppressions"), "\(plan)")
    }

    @Test func finishSetsTheSuppressedStatusAndALaterSendClearsIt() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let ids = try await fixture.insert(1, type: "email", to: #"{"to":["ann@example.com"]}"#)
        _ = try await claim(fixture, 1)
        func finish(_ outcome: Store.QueueOutcome) async throws {
            _ = try await fixture.pool.withConnection { try Store.finish($0, workerId: "w1", outcomes: [outcome]) }
        }
        func delivery() async throws -> (String?, String?) {
            try await fixture.pool.withConnection { connection in
                let row = try connection.query("SELECT delivery_status, delivery_detail FROM notifications WHERE id = $1", [ids[0]])[0]
                return (try row.decode("delivery_status"), try row.decode("delivery_detail"))
            }
        }
        try await finish(Store.QueueOutcome(id: ids[0], attempt: 1, kind: .retry, error: "suppressed: ann@example.com (manual)",
                                            retryDelay: .zero, startedAt: Date(), durationMilliseconds: 0,
                                            deliveryStatus: "suppressed"))
        #expect(try await delivery() == ("suppressed", "suppressed: ann@example.com (manual)"))
        _ = try await claim(fixture, 1)
        try await finish(Store.QueueOutcome(id: ids[0], attempt: 2, kind: .sent, startedAt: Date(), durationMilliseconds: 1))
        #expect(try await delivery() == (nil, nil))
        #expect(try await fixture.status(ids[0]) == "sent")
    }
}
