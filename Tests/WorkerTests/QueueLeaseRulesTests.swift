import Foundation
import Postgres
@testable import Store
import Testing

/// The lease rules in SQL, through the queue value a worker uses: a worker
/// never takes over its own live rows; an outcome that committed is never
/// taken for a refused one; a send that reaches the database after its lease
/// passed on is recorded as sent, so a second delivery shows.
@Suite struct QueueLeaseRulesTests {
    func sent(_ row: Store.ClaimedNotification, duration: Int = 7) -> Store.QueueOutcome {
        Store.QueueOutcome(id: row.id, attempt: row.attempt, kind: .sent, providerMessageId: "pm-" + row.id,
                           startedAt: Date(), durationMilliseconds: duration, providerResponse: "250 accepted")
    }

    @Test func aWorkerNeverRescuesTheRowsItHolds() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let ids = try await fixture.insert(4)
        let mine = fixture.store.queue(workerId: "w1", lease: .seconds(30))
        let claimed = try await mine.claim(limit: 4)
        #expect(claimed.map(\.id) == ids)
        try await fixture.expireLeases(ids)
        // w1 holds the first three (a claim whose answer was lost leaves it the fourth).
        let own = try await mine.rescueExpired(limit: 100, keeping: { Array(ids.prefix(3)) })
        #expect(own.map(\.id) == [ids[3]], "only the row w1 does not hold")
        #expect(try await fixture.row(ids[0])["locked_by"].string == "w1")
        // Another worker takes over what expired: w1's heartbeat was late.
        let other = try await fixture.store.queue(workerId: "w2", lease: .seconds(30)).rescueExpired(limit: 100, keeping: { [] })
        #expect(Set(other.map(\.id)) == Set(ids.prefix(3)) && other.allSatisfy { $0.previousOwner == "w1" })
    }

    /// The connection broke after COMMIT: the retry is refused (the rows are
    /// gone from the queue), and settling says the outcomes were written.
    @Test func anOutcomeThatCommittedIsNotTakenForARefusal() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        try await fixture.insert(3)
        let queue = fixture.store.queue(workerId: "w1", lease: .seconds(30))
        let rows = try await queue.claim(limit: 3)
        var outcomes = rows.map { sent($0) }
        outcomes[2].kind = .retry
        outcomes[2].retryDelay = .seconds(60)
        #expect(try await queue.finish(outcomes) == Set(rows.map(\.id)))
        #expect(try await queue.finish(outcomes).isEmpty, "the retry of a committed write is refused")
        let settled = try await queue.settle(outcomes)
        #expect(settled.alreadyWritten == Set(rows.map(\.id)))
        #expect(settled.late.isEmpty && settled.duplicates.isEmpty)
        #expect(try await fixture.attempts(rows[0].id).map(\.outcome) == ["sent"])
    }

    /// Cut off longer than the lease: the row was rescued and queued again
    /// before the send's outcome arrived. It is recorded as sent, the row
    /// leaves the queue, and nothing else sends it.
    @Test func aLateSendOfARowStillWaitingEndsIt() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let (queue, row) = try await claimedThenRescuedByAnother(fixture)
        let outcome = sent(row)
        #expect(try await queue.finish([outcome]).isEmpty, "the lease passed on")
        let settled = try await queue.settle([outcome])
        #expect(settled.late == [row.id] && settled.duplicates.isEmpty && settled.alreadyWritten.isEmpty)
        #expect(try await fixture.status(row.id) == "sent")
        let attempts = try await fixture.attempts(row.id)
        #expect(attempts.map(\.outcome) == ["sent"] && attempts[0].error?.hasPrefix("late outcome") == true)
        #expect(try await fixture.store.queue(workerId: "w2", lease: .seconds(30)).claim(limit: 10).isEmpty)
        // Settling the same outcome again (its answer lost too) finds it written.
        #expect(try await queue.settle([outcome]).alreadyWritten == [row.id])
    }

    /// The row was rescued and sent again by another worker: both sends are
    /// on record as sent, and the notification says it went out twice.
    @Test func aLateSendAfterAnotherWorkerSentItShowsTheDuplicate() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let ids = try await fixture.insert(1)
        let first = fixture.store.queue(workerId: "w1", lease: .seconds(30))
        let second = fixture.store.queue(workerId: "w2", lease: .seconds(30))
        let row = try #require(try await first.claim(limit: 1).first)
        try await fixture.expireLeases(ids)
        _ = try await second.rescueExpired(limit: 10, keeping: { [] })
        let again = try #require(try await second.claim(limit: 1).first)
        #expect(again.attempt == 2)
        #expect(try await second.finish([sent(again)]) == [row.id])
        let late = sent(row)
        #expect(try await first.finish([late]).isEmpty)
        let settled = try await first.settle([late])
        #expect(settled.late == [row.id] && settled.duplicates == [row.id])
        let attempts = try await fixture.attempts(row.id)
        #expect(attempts.map(\.outcome) == ["sent", "sent"] && attempts.map(\.attempt) == [1, 2])
        let stored = try await fixture.row(row.id)
        #expect(try stored.decode("status", as: String.self) == "sent")
        #expect(stored["last_error"].string?.hasPrefix("late outcome") == true)
        let twice = try await fixture.pool.withConnection {
            try $0.query("""
                SELECT notification_id FROM notification_attempts WHERE outcome = 'sent' GROUP BY 1 HAVING count(*) > 1
                """).map { try $0.decode("notification_id", as: String.self) }
        }
        #expect(twice == [row.id], "the duplicate is visible in SQL")
    }

    /// A late outcome that is not a send (a retry, a failure) changes
    /// nothing: the rescue's record stands.
    @Test func aLateRetryIsDiscarded() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let (queue, row) = try await claimedThenRescuedByAnother(fixture)
        var outcome = sent(row)
        outcome.kind = .retry
        outcome.error = "421 try later"
        #expect(try await queue.finish([outcome]).isEmpty)
        #expect(try await queue.settle([outcome]) == Store.SettledOutcomes())
        #expect(try await fixture.status(row.id) == "queued")
        #expect(try await fixture.attempts(row.id).map(\.error) == [Store.leaseExpiredMessage])
    }

    /// One row claimed by worker w1, whose lease then expired and which w2
    /// rescued: the state a worker cut off longer than its lease comes back to.
    private func claimedThenRescuedByAnother(_ fixture: QueueFixture) async throws -> (DeliveryQueue, Store.ClaimedNotification) {
        let ids = try await fixture.insert(1)
        let queue = fixture.store.queue(workerId: "w1", lease: .seconds(30))
        let row = try #require(try await queue.claim(limit: 1).first)
        try await fixture.expireLeases(ids)
        _ = try await fixture.store.queue(workerId: "w2", lease: .seconds(30)).rescueExpired(limit: 10, keeping: { [] })
        return (queue, row)
    }
}
