import Testing
import Worker

/// The lease book on its own, with the time passed in: claim sizing, send
/// slots, the renewal margin, loss and shutdown, without a database or a sleep.
@Suite struct LeaseBookTests {
    typealias Book = LeaseBook<Int>
    let t0 = ContinuousClock.now

    func rows(_ range: Range<Int>) -> [(id: String, payload: Int)] { range.map { (id: "r\($0)", payload: $0) } }

    @Test func slowSendsAreBoundedByTheConcurrencyAndClaimedInBatches() {
        var book = Book(limits: .init(concurrency: 4, maxInFlight: 16, maxClaim: 8, minClaim: 2))
        #expect(book.claimSize(now: t0) == 4, "idle: a claim as large as the free slots")
        book.claimed(requested: 4, rows(0..<4), leasedAt: t0)
        #expect(book.claimTarget == 8, "a full claim doubles the next one")
        #expect(book.startable(now: t0).map(\.payload) == [0, 1, 2, 3], "oldest first, up to the concurrency")
        #expect(book.claimSize(now: t0) == 4, "one claim's worth may wait beyond the slots")
        book.claimed(requested: 4, rows(4..<8), leasedAt: t0)
        #expect(book.claimSize(now: t0) == 0, "full: the slots plus one claim held")
        book.finished("r0", took: .milliseconds(80))
        #expect(book.waitingAllowance == 4, "slow sends: a slot's worth waits")
        #expect(book.phase(of: "r0") == .finishing)
        #expect(book.startable(now: t0).map(\.payload) == [4])
        #expect(book.claimSize(now: t0) == 0, "one free row is less than half a claim")
        book.forget(["r0"])
        #expect(book.held == 7)
        // Rows found rescued by someone else: unstarted ones are dropped, running ones kept.
        #expect(book.lost(["r1", "r5", "r6"]) == ["r5", "r6"])
        #expect(book.phase(of: "r1") == .sending)
        // Shutdown: the unstarted rest is handed back, nothing starts any more.
        #expect(book.close() == ["r7"])
        book.finished("r1", took: .milliseconds(80))
        #expect(book.startable(now: t0).isEmpty && book.claimSize(now: t0) == 0)
        #expect(book.sending == 3)
    }

    @Test func cheapSendsGrowTheRowsInFlightAndFullClaimsGrowTheClaims() {
        var book = Book(limits: .init(concurrency: 4, maxInFlight: 256, maxClaim: 64, minClaim: 2))
        var next = 0
        var sizes: [Int] = []
        // A backlog: every claim comes back full, every send takes 20 µs.
        for _ in 0..<8 {
            let size = book.claimSize(now: t0)
            sizes.append(size)
            book.claimed(requested: size, rows(next..<next + size), leasedAt: t0)
            next += size
            // The slots drain what was claimed before the next claim returns.
            while case let started = book.startable(now: t0), !started.isEmpty {
                for row in started { book.finished(row.id, took: .microseconds(20)) }
                book.forget(started.map(\.id))
            }
        }
        #expect(book.waitingAllowance == 252, "cheap sends: up to the cap in flight")
        #expect(sizes.first == 4 && sizes.last == 64, "claims grew to the most one may take: \(sizes)")
        #expect(sizes == sizes.sorted(), "\(sizes)")
        // The queue drains: short claims shrink the next ones, down to the least.
        book.claimed(requested: 64, rows(next..<next + 3), leasedAt: t0)
        next += 3
        #expect(book.claimTarget == 32)
        book.claimed(requested: 32, [], leasedAt: t0)
        book.claimed(requested: 16, [], leasedAt: t0)
        book.claimed(requested: 8, [], leasedAt: t0)
        book.claimed(requested: 4, [], leasedAt: t0)
        #expect(book.claimTarget == 2)
        // Sends turn slow (a provider's round trips): back to a slot's worth.
        for row in book.startable(now: t0) { book.finished(row.id, took: .milliseconds(200)) }
        for _ in 0..<40 {
            book.claimed(requested: 1, rows(next..<next + 1), leasedAt: t0)
            next += 1
            for row in book.startable(now: t0) { book.finished(row.id, took: .milliseconds(200)) }
        }
        #expect(book.waitingAllowance == 4)
        #expect(book.claimSize(now: t0) <= 4)
    }

    @Test func heldRowsNeverPassTheMemoryCap() {
        var book = Book(limits: .init(concurrency: 4, maxInFlight: 100, maxClaim: 1000))
        book.claimed(requested: 4, rows(0..<4), leasedAt: t0)
        for row in book.startable(now: t0) { book.finished(row.id, took: .microseconds(10)) }
        book.forget(["r0", "r1", "r2", "r3"])
        var next = 4
        for _ in 0..<20 {
            let size = book.claimSize(now: t0)
            book.claimed(requested: size, rows(next..<next + size), leasedAt: t0)
            next += size
            #expect(book.held <= 100)
        }
        #expect(book.held == 100)
    }

    /// A send starts only while its lease has more than the margin left;
    /// a renewal that succeeds starts the waiting rows again.
    @Test func rowsWhoseLeaseIsTooOldWaitForARenewal() {
        var book = Book(limits: .init(concurrency: 2, maxClaim: 8, lease: .seconds(30), renewalMargin: .seconds(10)))
        book.claimed(requested: 6, rows(0..<6), leasedAt: t0)
        #expect(book.startable(now: t0 + .seconds(1)).count == 2)
        #expect(!book.isStale(now: t0 + .milliseconds(19_999)))
        book.finished("r0", took: .seconds(20))
        book.finished("r1", took: .seconds(20))
        // 20 s after the claim, 10 s of lease left: no more starts, no more claims.
        let late = t0 + .seconds(20)
        #expect(book.isStale(now: late))
        #expect(book.startable(now: late).isEmpty && book.claimSize(now: late) == 0)
        // A renewal sent at 15 s answered for r2 (r4 and r5 were lost; r3 was left out).
        book.renewed(["r2"], at: t0 + .seconds(15))
        #expect(book.lost(["r4", "r5"]) == ["r4", "r5"])
        #expect(book.startable(now: late).map(\.payload) == [2], "r3 behind it is still too old")
        #expect(book.isStale(now: late))
        // A renewal older than the one it holds does not move the lease back.
        book.renewed(["r2"], at: t0)
        book.renewed(["r3"], at: t0 + .seconds(39))
        #expect(!book.isStale(now: t0 + .seconds(40)))
        #expect(book.startable(now: t0 + .seconds(40)).map(\.payload) == [3])
        #expect(book.held == 4 && book.phase(of: "r3") == .sending)
    }
}
