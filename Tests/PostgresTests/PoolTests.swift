import Foundation
import Postgres
import Testing

@Suite struct PoolTests {
    @Test func fiftyCallersShareEightConnections() async throws {
        try await withPool(size: 8) { pool, database in
            let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
                for i in 0..<50 {
                    group.addTask {
                        try await pool.withConnection { conn in
                            let row = try conn.query("SELECT pg_backend_pid() AS pid, $1::int AS i, pg_sleep(0.01)", [i])[0]
                            guard try row.decode("i", as: Int.self) == i else { throw Boom() }
                            return try row.decode("pid", as: Int32.self)
                        }
                    }
                }
                return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
            }
            let stats = pool.stats
            #expect(pids.count <= 8)
            #expect(stats.peakInUse <= 8 && stats.peakInUse >= 2)
            #expect(stats.inUse == 0 && stats.waiting == 0)
            #expect(stats.total <= 8 && stats.idle == stats.total)
            let name = database.name
            let server = try await pool.withConnection { conn in
                try conn.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1", [name])[0].decode("n", as: Int.self)
            }
            #expect(server <= 8)
        }
    }

    @Test func transactionRollsBackWhenBodyThrows() async throws {
        try await withPool { pool, _ in
            try await pool.withConnection { try $0.execute("CREATE TABLE items (name text)") }
            await #expect(throws: Boom.self) {
                try await pool.withTransaction { conn in
                    try conn.query("INSERT INTO items VALUES ($1)", ["ghost"])
                    throw Boom()
                }
            }
            try await pool.withTransaction { conn in
                try conn.query("INSERT INTO items VALUES ($1)", ["kept"])
            }
            let names = try await pool.withConnection { conn in
                try conn.query("SELECT name FROM items").map { try $0.decode("name", as: String.self) }
            }
            #expect(names == ["kept"])
        }
    }

    @Test func commitOfAFailedTransactionThrows() async throws {
        try await withPool(size: 1) { pool, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withTransaction { conn in
                    _ = try? conn.query("SELECT 1/0")  // error swallowed by the caller
                    return 1
                }
            }
            #expect(error?.sqlState == "25P02")
            let status = try await pool.withConnection { "\($0.transactionStatus)" }
            #expect(status == "idle")
        }
    }

    @Test func dirtyConnectionIsRolledBackBeforeReuse() async throws {
        try await withPool(size: 1) { pool, _ in
            try await pool.withConnection { try $0.execute("CREATE TABLE t (x int)") }
            // Leave a transaction open (and one aborted) on purpose.
            try await pool.withConnection { conn in
                try conn.execute("BEGIN")
                try conn.query("INSERT INTO t VALUES ($1)", [1])
            }
            let (status, count) = try await pool.withConnection { conn in
                ("\(conn.transactionStatus)", try conn.query("SELECT count(*) AS n FROM t")[0].decode("n", as: Int.self))
            }
            #expect(status == "idle")
            #expect(count == 0)
            try await pool.withConnection { conn in
                try conn.execute("BEGIN")
                _ = try? conn.query("SELECT nope")
            }
            let ok = try await pool.withConnection { try $0.query("SELECT 1 AS one")[0].decode("one", as: Int.self) }
            #expect(ok == 1)
        }
    }

    @Test func acquireTimesOutWhenAllConnectionsAreBusy() async throws {
        try await withPool(size: 1, acquireTimeout: .milliseconds(300)) { pool, _ in
            let holder = Task { try await pool.withConnection { try $0.query("SELECT pg_sleep(1.5)") } }
            // Let the holder check the only connection out.
            while pool.stats.inUse == 0 { try await Task.sleep(for: .milliseconds(5)) }
            let (error, elapsed) = await timed {
                await #expect(throws: PostgresError.self) {
                    try await pool.withConnection { try $0.query("SELECT 1") }
                }
            }
            #expect(error?.code == .poolTimeout)
            #expect(elapsed >= 0.25 && elapsed < 1.2)
            _ = try await holder.value
            // Free again: the next caller gets it at once.
            try await pool.withConnection { try $0.query("SELECT 1") }
        }
    }

    @Test func waitersAreServedFirstInFirstOut() async throws {
        try await withPool(size: 1) { pool, _ in
            let order = OrderLog()
            // The holder keeps the only connection until all five are queued (a
            // timed hold let a slow machine serve early waiters and never queue the rest).
            let gate = DispatchSemaphore(value: 0)
            let holder = Task { try await pool.withConnection { _ in gate.wait() } }
            while pool.stats.inUse == 0 { try await Task.sleep(for: .milliseconds(5)) }
            var waiters: [Task<Void, any Error>] = []
            for i in 0..<5 {
                waiters.append(Task { try await pool.withConnection { _ in order.append(i) } })
                while pool.stats.waiting < i + 1 { try await Task.sleep(for: .milliseconds(2)) }
            }
            gate.signal()
            _ = try await holder.value
            for waiter in waiters { try await waiter.value }
            #expect(order.values == [0, 1, 2, 3, 4])
        }
    }

    @Test func cancelledWaiterLeavesTheQueue() async throws {
        try await withPool(size: 1) { pool, _ in
            // Held until the waiter is cancelled, however slow the machine.
            let gate = DispatchSemaphore(value: 0)
            let holder = Task { try await pool.withConnection { _ in gate.wait() } }
            while pool.stats.inUse == 0 { try await Task.sleep(for: .milliseconds(5)) }
            let waiter = Task { try await pool.withConnection { _ in 1 } }
            while pool.stats.waiting == 0 { try await Task.sleep(for: .milliseconds(2)) }
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            #expect(pool.stats.waiting == 0)
            gate.signal()
            _ = try await holder.value
            #expect(try await pool.withConnection { _ in 2 } == 2)
        }
    }

    @Test func closedPoolRejectsCallers() async throws {
        try await withPool(size: 2) { pool, _ in
            try await pool.withConnection { try $0.query("SELECT 1") }
            pool.close()
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try $0.query("SELECT 1") }
            }
            #expect(error?.code == .poolClosed)
            #expect(pool.stats.total == 0)
        }
    }

    @Test func terminatedBackendIsReplacedTransparently() async throws {
        try await withPool(size: 1) { pool, database in
            let pid = try await pool.withConnection { $0.backendPID }
            let admin = try PostgresConnection(url: database.url)
            try admin.query("SELECT pg_terminate_backend($1)", [pid])
            // Give the server a moment to send its termination notice.
            try await Task.sleep(for: .milliseconds(100))
            let newPID = try await pool.withConnection { try $0.query("SELECT pg_backend_pid() AS p")[0].decode("p", as: Int32.self) }
            #expect(newPID != pid)
        }
    }

    @Test func synchronousVariantsWork() async throws {
        try await withPool(size: 2) { pool, _ in
            let value = try await onThread {
                try pool.withTransactionSync { conn in
                    try conn.query("SELECT 41 + 1 AS v")[0].decode("v", as: Int.self)
                }
            }
            #expect(value == 42)
        }
    }
}

final class OrderLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Int] = []
    func append(_ i: Int) { lock.withLock { items.append(i) } }
    var values: [Int] { lock.withLock { items } }
}

/// Runs blocking work on its own thread (sync pool API must not block the
/// cooperative pool).
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
