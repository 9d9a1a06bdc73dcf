/// Single statements, pipelined: `query` queues the statement, and a
/// connection taken from the pool sends every statement queued by then in
/// one pipeline (PostgresConnection+Pipeline). Under load, many requests'
/// reads share one round trip and one hand-off to the connection's thread;
/// when idle, a statement goes out alone at once.
extension PostgresPool {
    /// Statements per pipeline: enough to cover the callers that queue up
    /// while one round trip runs, few enough that none waits long behind others.
    static let pipelineLimit = 32

    struct StatementQueue {
        var items: [QueuedStatement] = []
        /// Connections acquired (or being acquired) to send queued statements.
        var senders = 0
        /// The most statements sent in one pipeline so far.
        var largestPipeline = 0
    }

    /// The most statements one pipeline has carried (1: none shared a round trip yet).
    public var largestPipeline: Int { statementQueue.withLock { $0.largestPipeline } }

    struct QueuedStatement {
        let statement: PipelinedStatement
        /// When the caller asked: bounds the pipeline's time (`budget(requestedAt:)`).
        let queuedAt: ContinuousClock.Instant
        /// The caller's request deadline (`PostgresPool.requestDeadline`).
        let deadline: ContinuousClock.Instant?
        let resume: @Sendable (Result<PostgresRows, any Error>) -> Void
    }

    /// Runs one statement on its own (autocommit, like `withConnection { try
    /// $0.query(sql, params) }`), possibly in a pipeline with other callers'
    /// statements. For reads and single writes that need no transaction.
    public func query(_ sql: String, _ params: [(any PostgresBind)?] = []) async throws -> PostgresRows {
        try await withCheckedThrowingContinuation { continuation in
            let item = QueuedStatement(statement: PipelinedStatement(sql: sql, params: params), queuedAt: .now,
                                       deadline: Self.requestDeadline) {
                continuation.resume(with: $0)
            }
            let startSender = statementQueue.withLock { queue -> Bool in
                queue.items.append(item)
                guard queue.senders < configuration.pipelineSenders else { return false }
                queue.senders += 1
                return true
            }
            if startSender { sendQueuedStatements() }
        }
    }

    /// Takes a connection and sends what is queued when it gets it; then, if
    /// more arrived meanwhile, goes back to the end of the pool's queue (so
    /// transactions waiting for a connection take their turn) for the rest.
    private func sendQueuedStatements() {
        acquire(Waiter { result in
            switch result {
            case .failure(let error):
                let failed = self.statementQueue.withLock { queue -> [QueuedStatement] in
                    queue.senders -= 1
                    // The last sender gone: nobody else would answer these.
                    guard queue.senders == 0 else { return [] }
                    defer { queue.items = [] }
                    return queue.items
                }
                for item in failed { item.resume(.failure(error)) }
            case .success(let worker):
                worker.submit {
                    let batch = self.statementQueue.withLock { queue -> [QueuedStatement] in
                        let count = min(queue.items.count, Self.pipelineLimit)
                        queue.largestPipeline = max(queue.largestPipeline, count)
                        defer { queue.items.removeFirst(count) }
                        return Array(queue.items.prefix(count))
                    }
                    var results: [Result<PostgresRows, any Error>] = []
                    var failure: (any Error)?
                    if !batch.isEmpty {
                        do {
                            let budget = self.budget(requestedAt: batch.map(\.queuedAt).min()!,
                                                     deadline: batch.compactMap(\.deadline).min())
                            results = try worker.slot.checkout(budget: budget).pipelined(batch.map(\.statement))
                        } catch {
                            failure = error
                            results = batch.map { _ in .failure(error) }
                        }
                    }
                    self.finishJob(worker, failure: failure)
                    let again = self.statementQueue.withLock { queue -> Bool in
                        if queue.items.isEmpty {
                            queue.senders -= 1
                            return false
                        }
                        return true
                    }
                    for (item, result) in zip(batch, results) { item.resume(result) }
                    if again { self.sendQueuedStatements() }
                }
            }
        })
    }
}
