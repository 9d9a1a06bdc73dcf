import Foundation
import Postgres
import Store
import Testing
import Worker

/// Leases: renewed while a send runs, rescued when their worker is gone,
/// handed back at shutdown.
@Suite struct WorkerLeaseTests {
    @Test func heartbeatKeepsTheRowOfASlowSend() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let ids = try await fixture.insert(2)
        // The send takes two leases' time; a second worker rescues anything
        // that expires. Leases of 3 s: renewed every second, so a loaded
        // machine's stalls do not lapse them.
        let slow = RecordingProvider(delay: .seconds(7))
        let other = RecordingProvider()
        let owner = fixture.worker(.forTests(lease: .seconds(3)), providers: ["inapp_pxyz": slow])
        let rescuer = fixture.worker(.forTests(lease: .seconds(3)), providers: ["inapp_pxyz": other])
        try await withRunningWorker(owner) {
            try await waitUntil("the slow sends start") { slow.callCount(ids[0]) == 1 && slow.callCount(ids[1]) == 1 }
            try await withRunningWorker(rescuer) {
                try await waitUntil("both sent", timeout: .seconds(15)) { try await fixture.count(status: "sent") == 2 }
            }
        }
        #expect(slow.delivered == [ids[0]: 1, ids[1]: 1])
        #expect(other.deliveredCount == 0, "the lease never lapsed, so nobody else sent it")
        #expect(rescuer.metrics.rescued == 0 && owner.metrics.rescued == 0 && owner.metrics.leaseLost == 0)
        #expect(try await fixture.attempts(ids[0]).map(\.outcome) == ["sent"])
    }

    @Test func expiredLeasesOfADeadWorkerAreSentAgainWithinTheBound() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let ids = try await fixture.insert(20)
        // A worker claims them and dies: nobody renews the lease.
        let claimed = try await fixture.store.queue(workerId: "dead-worker", lease: .seconds(1)).claim(limit: 20)
        #expect(claimed.count == 20)
        let expiry = ContinuousClock.now + .seconds(1)
        let provider = RecordingProvider()
        let logs = LogCapture()
        // The production rescue interval is 5 s; this one's lease gives 2.5 s.
        let worker = fixture.worker(.forTests(lease: .seconds(5)), providers: ["inapp_pxyz": provider], logger: logs.logger)
        try await withRunningWorker(worker) {
            try await waitUntil("the rescued rows are sent", timeout: .seconds(15)) { provider.deliveredCount == 20 }
        }
        let late = ContinuousClock.now - expiry
        #expect(late < .seconds(15), "sent \(late) after the leases expired (bound: 30 s)")
        #expect(worker.metrics.rescued == 20)
        #expect(logs.all.filter { $0.contains("expired lease: queued again") && $0.contains("dead-worker") }.count == 20)
        let attempts = try await fixture.attempts(ids[0])
        #expect(attempts.map(\.outcome) == ["retry", "sent"] && attempts.map(\.attempt) == [1, 2])
    }

    @Test func shutdownFinishesSendsInFlightAndReleasesTheRest() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        try await fixture.insert(40)
        let provider = RecordingProvider(delay: .milliseconds(700))
        // 4 sending + 4 claimed and waiting for a slot (slow sends: a claim's worth).
        let worker = fixture.worker(.forTests(concurrency: 4, batch: 8), providers: ["inapp_pxyz": provider])
        let running = Task { await worker.run() }
        try await waitUntil("a full book") { provider.peakRunning == 4 && worker.metrics.claimed == 8 }
        worker.shutdown()
        await running.value
        #expect(provider.deliveredCount == 4, "the sends in flight finished")
        #expect(try await fixture.count(status: "sent") == 4)
        #expect(try await fixture.count(status: "sending") == 0)
        #expect(try await fixture.count(status: "queued") == 36)
        let metrics = worker.metrics
        #expect(metrics.released == 4 && metrics.sent == 4 && metrics.inFlight == 0)
        let attempts = try await fixture.pool.withConnection {
            try $0.query("SELECT attempts, count(*)::int FROM notifications GROUP BY 1 ORDER BY 1").map {
                (try $0.decode(0, as: Int.self), try $0.decode(1, as: Int.self))
            }
        }
        #expect(attempts.map(\.0) == [0, 1] && attempts.map(\.1) == [36, 4], "released rows got their attempt back")
    }

    @Test func shutdownDoesNotWaitPastItsDeadline() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let ids = try await fixture.insert(2)
        let provider = RecordingProvider(delay: .seconds(20))
        let worker = fixture.worker(.forTests(shutdown: .milliseconds(300)), providers: ["inapp_pxyz": provider])
        let running = Task { await worker.run() }
        try await waitUntil("the sends start") { provider.callCount(ids[0]) == 1 && provider.callCount(ids[1]) == 1 }
        let start = ContinuousClock.now
        worker.shutdown()
        await running.value
        // Well under the 20 s send: shutdown did not wait for it (a loose bound for loaded machines).
        #expect(ContinuousClock.now - start < .seconds(10))
        // Still leased: whether they went out is unknown, so they return only when the lease expires.
        #expect(try await fixture.count(status: "sending") == 2)
    }

    /// Cancelling the task that runs the worker is a shutdown like any other.
    @Test func cancellingTheRunTaskShutsDownGracefully() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        try await fixture.insert(20)
        let provider = RecordingProvider(delay: .milliseconds(500))
        let worker = fixture.worker(.forTests(concurrency: 2, batch: 4), providers: ["inapp_pxyz": provider])
        let running = Task { await worker.run() }
        try await waitUntil("sends start") { provider.peakRunning == 2 }
        let start = ContinuousClock.now
        running.cancel()
        await running.value
        // Sending the other 18 at two at a time would take 4.5 s: stopping is faster than that.
        #expect(ContinuousClock.now - start < .seconds(4))
        #expect(provider.deliveredCount == 2, "the two sends in flight finished")
        #expect(try await fixture.statusCounts() == ["sent": 2, "queued": 18])
    }

    /// A worker's rescue passes over rows it is still sending, however late
    /// its heartbeat: the send's outcome is written as usual.
    @Test func aWorkerDoesNotTakeOverItsOwnLiveRows() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        // Two rows of a dead worker, leased before this worker starts: their
        // rescues tell the test that a rescue pass ran.
        let dead = try await fixture.insert(2)
        _ = try await fixture.store.queue(workerId: "dead-worker", lease: .seconds(30)).claim(limit: 2)
        let mine = try await fixture.insert(1)
        let gated = GatedProvider()
        let logs = LogCapture()
        // Rescue passes every second (half the lease).
        let worker = fixture.worker(.forTests(lease: .seconds(2)), providers: ["inapp_pxyz": gated], logger: logs.logger)
        try await withRunningWorker(worker) {
            try await waitUntil("the send starts") { gated.called == mine }
            // A pass that ends after this one starts after the claim was in the book.
            try await fixture.expireLeases([dead[0]])
            try await waitUntil("a rescue pass ran") { worker.metrics.rescued >= 1 }
            // Its lease ends as if the heartbeat had starved, with the dead worker's.
            try await fixture.expireLeases(mine + [dead[1]])
            try await waitUntil("another rescue pass ran") { worker.metrics.rescued >= 2 }
            let holder = try await fixture.row(mine[0])["locked_by"].string
            #expect(worker.metrics.rescued == 2 && holder == worker.id, "its own row was left alone: \(logs.all)")
            gated.open()
            try await waitUntil("all sent") { try await fixture.count(status: "sent") == 3 }
        }
        #expect(gated.called.filter { $0 == mine[0] }.count == 1)
        #expect(try await fixture.attempts(mine[0]).map(\.outcome) == ["sent"])
        #expect(worker.metrics.lateOutcomes == 0 && worker.metrics.leaseLost == 0)
    }

    /// Cut off longer than the lease, the send went out and another worker's
    /// rescue took the row: the outcome is recorded as a late send (counted),
    /// not thrown away, and the row is not sent again.
    @Test func aSendWhoseLeasePassedOnIsRecordedLate() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let dead = try await fixture.insert(1)
        _ = try await fixture.store.queue(workerId: "dead-worker", lease: .seconds(30)).claim(limit: 1)
        let ids = try await fixture.insert(1)
        let gated = GatedProvider()
        let logs = LogCapture()
        let worker = fixture.worker(.forTests(), providers: ["inapp_pxyz": gated], logger: logs.logger)
        try await withRunningWorker(worker) {
            try await waitUntil("the send starts") { gated.called == ids }
            // The worker's next rescue pass starts after its claim was in its book.
            try await fixture.expireLeases(dead)
            try await waitUntil("a rescue pass ran") { worker.metrics.rescued == 1 }
            // The worker's heartbeat may renew the lease between the two: again until the rescue takes it.
            let other = fixture.store.queue(workerId: "other", lease: .seconds(30))
            try await waitUntil("another worker rescues the row") {
                try await fixture.expireLeases(ids)
                return try await other.rescueExpired(limit: 10, keeping: { [] }).map(\.id) == ids
            }
            gated.open()
            try await waitUntil("the late outcome is recorded") { worker.metrics.lateOutcomes == 1 }
        }
        #expect(gated.called.filter { $0 == ids[0] }.count == 1, "sent once")
        #expect(try await fixture.status(ids[0]) == "sent")
        let attempts = try await fixture.attempts(ids[0])
        #expect(attempts.map(\.outcome) == ["sent"] && attempts[0].error?.hasPrefix("late outcome") == true, "\(attempts)")
        #expect(worker.metrics.sent == 2 && worker.metrics.duplicates == 0, "the late send and the dead worker's row")
        #expect(!logs.all.contains { $0.contains("outcome discarded") })
        #expect(logs.all.contains { $0.contains("late outcome recorded") })
    }
}
