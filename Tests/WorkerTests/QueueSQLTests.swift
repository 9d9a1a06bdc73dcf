import Foundation
import Postgres
@testable import Store
import Testing

/// The queue's statements on their own: claim, finish, heartbeat, rescue,
/// release, retention, and the plans they use.
@Suite struct QueueSQLTests {
    static let lease = Duration.seconds(30)

    func claim(_ fixture: QueueFixture, _ worker: String, _ limit: Int, lease: Duration = lease) async throws -> [Store.ClaimedNotification] {
        try await fixture.pool.withConnection { try Store.claim($0, workerId: worker, limit: limit, lease: lease) }
    }

    func finish(_ fixture: QueueFixture, _ worker: String, _ outcomes: [Store.QueueOutcome]) async throws -> Set<String> {
        try await fixture.pool.withConnection { try Store.finish($0, workerId: worker, outcomes: outcomes) }
    }

    @Test func claimTakesReadyRowsByPriorityThenAgeAndMarksThemSending() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let bulk = try await fixture.insert(3, priority: 2)
        let normal = try await fixture.insert(3, priority: 1)
        let later = try await fixture.insert(2, priority: 0, runAtOffsetSeconds: 3600)
        let cancelled = try await fixture.insert(2, priority: 0, status: "cancelled")
        let urgent = try await fixture.insert(2, priority: 0)

        let first = try await claim(fixture, "w1", 4)
        #expect(first.map(\.id) == urgent + normal.prefix(2))
        #expect(first.allSatisfy { $0.attempt == 1 && $0.maxAttempts == 8 && $0.rendered != nil })
        let row = try await fixture.row(urgent[0])
        #expect(try row.decode("status", as: String.self) == "sending")
        #expect(try row.decode("locked_by", as: String.self) == "w1")
        #expect(try row.decode("claims", as: Int.self) == 1)
        #expect(try row.decode("attempts", as: Int.self) == 0, "the log counts an attempt when it ends")
        #expect(try row.decode("locked_until", as: Date.self) > Date().addingTimeInterval(20))

        // Another worker gets the rest; scheduled and cancelled rows are never claimed.
        let second = try await claim(fixture, "w2", 100)
        #expect(second.map(\.id) == [normal[2]] + bulk)
        #expect(Set(first.map(\.id)).isDisjoint(with: second.map(\.id)))
        #expect(try await claim(fixture, "w3", 100).isEmpty)
        for id in later { #expect(try await fixture.status(id) == "queued") }
        for id in cancelled { #expect(try await fixture.status(id) == "cancelled") }
    }

    @Test func concurrentClaimsNeverShareARow() async throws {
        let fixture = try await QueueFixture.make(poolSize: 8)
        defer { Task { await fixture.close() } }
        try await fixture.insert(600)
        let batches = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var mine: [String] = []
                    while true {
                        let rows = try await self.claim(fixture, "w\(worker)", 7)
                        if rows.isEmpty { return mine }
                        mine += rows.map(\.id)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let all = batches.flatMap { $0 }
        #expect(all.count == 600 && Set(all).count == 600)
    }

    @Test func finishWritesEachOutcomeWithItsAttemptRowOnlyForTheOwner() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let ids = try await fixture.insert(4)
        let rows = try await claim(fixture, "w1", 4)
        let now = Date()
        let outcomes = [
            Store.QueueOutcome(id: ids[0], attempt: 1, kind: .sent, providerMessageId: "pm-1", startedAt: now,
                               durationMilliseconds: 12, providerResponse: "250 ok"),
            Store.QueueOutcome(id: ids[1], attempt: 1, kind: .retry, error: "451 try later", retryDelay: .seconds(600),
                               startedAt: now, durationMilliseconds: 5),
            Store.QueueOutcome(id: ids[2], attempt: 1, kind: .failed, error: "550 no such user", startedAt: now,
                               durationMilliseconds: 7),
        ]
        // A worker that does not hold the rows changes nothing.
        #expect(try await finish(fixture, "intruder", outcomes).isEmpty)
        #expect(try await finish(fixture, "w1", outcomes) == Set(ids.prefix(3)))
        #expect(rows.count == 4)

        let sent = try await fixture.row(ids[0])
        #expect(try sent.decode("status", as: String.self) == "sent")
        #expect(try sent.decode("provider_message_id", as: String.self) == "pm-1")
        #expect(try sent.optional("sent_at", as: Date.self) != nil)
        #expect(try sent.optional("locked_by", as: String.self) == nil)
        let retry = try await fixture.row(ids[1])
        #expect(try retry.decode("status", as: String.self) == "queued")
        #expect(try retry.decode("last_error", as: String.self) == "451 try later")
        #expect(try retry.decode("run_at", as: Date.self) > Date().addingTimeInterval(500))
        #expect(try await fixture.status(ids[2]) == "failed")
        #expect(try await fixture.status(ids[3]) == "sending")
        let attempts = try await fixture.attempts(ids[1])
        #expect(attempts.count == 1 && attempts[0].outcome == "retry" && attempts[0].error == "451 try later")
        #expect(try await fixture.attempts(ids[0]).map(\.outcome) == ["sent"])
        #expect(try sent.decode("attempts", as: Int.self) == 1)
        // Written once: the same outcome again is refused (the row is no longer sending).
        #expect(try await finish(fixture, "w1", outcomes).isEmpty)
        // Only unfinished work stays in the queue: the retry, and the row still being sent.
        let queued = try await fixture.pool.withConnection {
            try $0.query("SELECT id FROM notification_queue WHERE id = ANY($1) ORDER BY id", [ids]).map { try $0.decode(0, as: String.self) }
        }
        #expect(queued == [ids[1], ids[3]])
    }

    @Test func heartbeatRescueAndRelease() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let ids = try await fixture.insert(6, maxAttempts: 1)
        let retryable = try await fixture.insert(2)
        _ = try await claim(fixture, "dead", 100, lease: .milliseconds(300))
        // The heartbeat answers only rows the worker still holds.
        let kept = try await fixture.pool.withConnection {
            try Store.extendLeases($0, workerId: "dead", ids: [ids[0], "missing"], lease: .milliseconds(300))
        }
        #expect(kept == [ids[0]])
        try await Task.sleep(for: .milliseconds(400))
        let rescued = try await fixture.pool.withConnection { try Store.rescueExpired($0, limit: 100) }
        #expect(rescued.count == 8 && rescued.allSatisfy { $0.previousOwner == "dead" })
        // No attempts left: failed; otherwise queued again, the lost attempt recorded either way.
        #expect(Set(rescued.filter(\.failed).map(\.id)) == Set(ids))
        #expect(try await fixture.status(ids[0]) == "failed")
        #expect(try await fixture.status(retryable[0]) == "queued")
        let lost = try await fixture.attempts(retryable[0])
        #expect(lost.count == 1 && lost[0].outcome == "retry" && lost[0].error?.contains("lease expired") == true)
        #expect(try await fixture.pool.withConnection { try Store.rescueExpired($0, limit: 100) }.isEmpty)

        // Release: claimed but never started goes back with its attempt returned.
        let again = try await claim(fixture, "w2", 100)
        #expect(again.map(\.attempt) == [2, 2])
        let released = try await fixture.pool.withConnection { try Store.release($0, workerId: "w2", ids: retryable) }
        #expect(released == 2)
        let row = try await fixture.row(retryable[0])
        #expect(try row.decode("status", as: String.self) == "queued" && row["attempts"].int == 1)
    }

    @Test func retentionDeletesOnlyOldFinishedRowsInBatches() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let old = try await fixture.insert(25, status: "sent")
        let oldQueued = try await fixture.insert(3)
        let recent = try await fixture.insert(5, status: "failed")
        try await fixture.pool.withConnection { connection in
            _ = try connection.query("UPDATE notifications SET created_at = now() - interval '40 days' WHERE id = ANY($1)",
                                     [old + oldQueued])
        }
        let first = try await fixture.pool.withConnection { try Store.deleteFinished($0, olderThanDays: 30, limit: 10) }
        #expect(first == 10)
        var total = first
        while true {
            let deleted = try await fixture.pool.withConnection { try Store.deleteFinished($0, olderThanDays: 30, limit: 10) }
            total += deleted
            if deleted < 10 { break }
        }
        #expect(total == 25)
        #expect(try await fixture.count(status: "queued") == 3)
        #expect(try await fixture.count(status: "failed") == 5 && recent.count == 5)
    }

    /// An owner can hold a row under a newer attempt than its outcome only
    /// if the row was rescued and it claimed the row again: the rescue's
    /// record of the lost attempt then refuses the stale outcome, and the
    /// statement changes nothing (the row stays leased for the new attempt).
    @Test func aStaleAttemptOfTheOwnerChangesNothing() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let ids = try await fixture.insert(1)
        #expect(try await claim(fixture, "w1", 1, lease: .milliseconds(1)).map(\.attempt) == [1])
        try await Task.sleep(for: .milliseconds(20))
        let rescued = try await fixture.pool.withConnection { try Store.rescueExpired($0, limit: 10) }
        #expect(rescued.map(\.id) == ids)
        #expect(try await claim(fixture, "w1", 1).map(\.attempt) == [2])

        let stale = Store.QueueOutcome(id: ids[0], attempt: 1, kind: .sent, startedAt: Date(), durationMilliseconds: 3)
        await #expect(throws: PostgresError.self) { try await finish(fixture, "w1", [stale]) }
        let row = try await fixture.row(ids[0])
        #expect(try row.decode("status", as: String.self) == "sending")
        #expect(try row.decode("locked_by", as: String.self) == "w1")
        #expect(try row.decode("claims", as: Int.self) == 2)
        #expect(try await fixture.attempts(ids[0]).count == 1, "only the rescue's record of attempt 1")

        // The outcome of the attempt it holds is written.
        let current = Store.QueueOutcome(id: ids[0], attempt: 2, kind: .sent, startedAt: Date(), durationMilliseconds: 3)
        #expect(try await finish(fixture, "w1", [current]) == Set(ids))
        #expect(try await fixture.status(ids[0]) == "sent")
    }

    /// The claim must stay an index range scan per priority: no sort of the
    /// queue and no sequential scan, however many rows wait.
    @Test func claimPlanUsesTheReadyIndex() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        try await fixture.insert(20_000, priority: 2)
        try await fixture.insert(20_000, priority: 0, runAtOffsetSeconds: 3600)
        let plan = try await fixture.pool.withConnection { connection -> String in
            _ = try connection.execute("ANALYZE notification_queue")
            _ = try connection.execute("BEGIN")
            defer { _ = try? connection.execute("ROLLBACK") }
            return try connection.query("""
                EXPLAIN (ANALYZE, BUFFERS) WITH c AS (
                  SELECT q.id FROM unnest('{0,1,2}'::smallint[]) AS p(priority)
                  CROSS JOIN LATERAL (SELECT j.id FROM notification_queue j
                    WHERE j.locked_by IS NULL AND j.priority = p.priority AND j.run_at <= now()
                    ORDER BY j.run_at LIMIT 50 FOR UPDATE SKIP LOCKED) q LIMIT 50)
                UPDATE notification_queue j SET locked_by = 'w' FROM c WHERE j.id = c.id
                """).map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
        }
        #expect(plan.contains("Index Scan using notification_queue_ready"), "\(plan)")
        #expect(!plan.contains("Seq Scan on notification_queue"), "\(plan)")
        #expect(!plan.contains("Sort"), "\(plan)")
        // Each level is a range of its own: the 20,000 rows scheduled for
        // later at priority 0 are never stepped over.
        #expect(plan.contains("Index Cond: ((priority = p.priority) AND (run_at <= now()))"), "\(plan)")
    }

    /// Writing outcomes finds the queue rows and the log rows by primary key,
    /// whatever the statistics say (here taken while nothing was leased, so
    /// `locked_by = 'w1'` looks like no row at all), with a plan made for
    /// these parameters or a generic one, and reads neither table whole.
    @Test(arguments: ["force_custom_plan", "force_generic_plan"], [false, true])
    func finishPlanUsesThePrimaryKeys(_ planMode: String, retries: Bool) async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        try await fixture.insert(20_000)
        try await fixture.pool.withConnection { _ = try $0.execute("ANALYZE notifications, notification_queue") }
        let claimed = try await claim(fixture, "w1", 1000).map(\.id)
        let plan = try await fixture.pool.withConnection { connection -> String in
            func list(_ items: [String]) -> String { "'{" + items.joined(separator: ",") + "}'" }
            let n = claimed.count
            _ = try connection.execute("SET plan_cache_mode = \(planMode)")
            _ = try connection.execute("PREPARE fin AS " + Store.finishStatement)
            let arguments = [
                "'w1'", list(claimed), list(Array(repeating: "1", count: n)), list(Array(repeating: "sent", count: n)),
                list(claimed), list(Array(repeating: "NULL", count: n)), list(Array(repeating: "0", count: n)),
                list(Array(repeating: "1.7e9", count: n)), list(Array(repeating: "0", count: n)),
                list(Array(repeating: "ok", count: n)), list(Array(repeating: "NULL", count: n)),
                // Failover: the next step, pinned, the attempt's channel and provider.
                list(Array(repeating: "0", count: n)), list(Array(repeating: "f", count: n)),
                list(Array(repeating: "NULL", count: n)), list(Array(repeating: "inapp_pxyz", count: n)),
                // The delivery status (suppressed).
                list(Array(repeating: "NULL", count: n)),
            ]
            return try connection.query("EXPLAIN EXECUTE fin(\(arguments.joined(separator: ", ")))")
                .map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
        }
        #expect(plan.contains("Index Scan using notification_queue_pkey"), "\(plan)")
        #expect(!plan.contains("Seq Scan on notification"), "\(plan)")
        // No scan repeated under a nested loop.
        let lines = plan.split(separator: "\n")
        for (index, line) in lines.enumerated() where line.contains("Seq Scan") {
            let depth = line.prefix { $0 == " " }.count
            let parents = lines[..<index].reversed().filter { $0.contains("->") && $0.prefix { $0 == " " }.count < depth }
            #expect(!(parents.first?.contains("Nested Loop") ?? false), "a scan repeated per outer row:\n\(plan)")
        }
        #expect(plan.contains("notifications_pkey"), "\(plan)")
    }

    /// Attempt rows have no foreign keys (no checks on the hot path): the
    /// trigger of migration 0006 deletes them with their notification, when
    /// retention deletes it and when its tenant goes.
    @Test func attemptsGoWithTheirNotificationAndTenant() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let ids = try await fixture.insert(3)
        _ = try await claim(fixture, "w1", 3)
        let outcomes = ids.map { Store.QueueOutcome(id: $0, attempt: 1, kind: .sent, startedAt: Date(), durationMilliseconds: 1) }
        #expect(try await finish(fixture, "w1", outcomes).count == 3)
        func attemptRows() async throws -> Int {
            try await fixture.pool.withConnection {
                try $0.query("SELECT count(*)::int FROM notification_attempts WHERE notification_id = ANY($1)", [ids])[0].decode(0)
            }
        }
        #expect(try await attemptRows() == 3)
        try await fixture.pool.withConnection { connection in
            _ = try connection.query("DELETE FROM notifications WHERE id = $1", [ids[0]])
        }
        #expect(try await attemptRows() == 2)
        try await fixture.pool.withConnection { connection in
            _ = try connection.query("DELETE FROM tenants WHERE id = $1", [fixture.tenantId])
        }
        #expect(try await attemptRows() == 0)
    }
}
