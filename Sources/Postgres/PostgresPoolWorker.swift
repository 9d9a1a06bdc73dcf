import Foundation

/// One pooled connection and the thread it runs on. The blocking libpq calls
/// of async callers run here, never on Swift's cooperative thread pool.
///
/// The slot (and its connection) belongs to whoever has checked the worker
/// out of the pool: the worker thread while it runs an async caller's job,
/// or a synchronous caller's own thread. Pool hand-offs go through its lock,
/// which orders the memory accesses.
final class PoolWorker: @unchecked Sendable {
    let id: Int
    let slot: ConnectionSlot
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    init(id: Int, url: String, options: PostgresSessionOptions) {
        self.id = id
        self.slot = ConnectionSlot(url: url, options: options)
        let thread = Thread { [self] in run() }
        thread.name = "herald-pg-\(id)"
        thread.start()
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Finishes queued jobs, closes the connection and ends the thread;
    /// with `wait`, returns only once the connection is closed.
    func stop(wait: Bool = false) {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        if wait { finished.wait() }
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            let job = jobs.isEmpty ? nil : jobs.removeFirst()
            condition.unlock()
            guard let job else { break }
            job()
        }
        slot.close()
        finished.signal()
    }
}

/// Lazily (re)connecting holder of one pooled connection.
final class ConnectionSlot {
    let url: String
    let options: PostgresSessionOptions
    private var connection: PostgresConnection?

    init(url: String, options: PostgresSessionOptions) {
        self.url = url
        self.options = options
    }

    /// A live connection: reuses the open one (reconnecting if the server
    /// dropped it while idle) or connects. Throws `.connectionFailed`.
    /// `budget`: the end of the caller's time (it waited for this
    /// connection), which bounds reconnecting and every round trip.
    func checkout(budget: ContinuousClock.Instant? = nil) throws -> PostgresConnection {
        if let connection {
            connection.budgetDeadline = budget
            try connection.reconnectIfNeeded()
            return connection
        }
        let fresh = try PostgresConnection(url: url, options: options, budget: budget)
        connection = fresh
        return fresh
    }

    /// Called after every use: a connection goes back to the pool only when
    /// idle outside a transaction; an open or failed transaction is rolled
    /// back, and a broken or confused session is dropped (reconnect later).
    func checkin() {
        guard let current = connection else { return }
        current.budgetDeadline = nil
        guard current.isConnected else {
            connection = nil
            return
        }
        switch current.transactionStatus {
        case .idle:
            return
        case .inTransaction, .inError:
            do {
                try current.execute("ROLLBACK")
                if current.transactionStatus != .idle { connection = nil }
            } catch {
                connection = nil
            }
        case .active, .unknown:
            connection = nil
        }
    }

    func close() {
        connection?.close()
        connection = nil
    }
}

