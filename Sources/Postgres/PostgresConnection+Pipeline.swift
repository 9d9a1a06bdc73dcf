import CLibPQ

/// One autocommit statement of a pipelined batch.
struct PipelinedStatement {
    let sql: String
    let params: [(any PostgresBind)?]
}

extension PostgresConnection {
    /// Runs independent autocommit statements in libpq's pipeline mode: all
    /// are sent at once, then their results are read in order, so a batch
    /// costs one round trip (and one wake-up of the server and of this
    /// thread) instead of one each. Each statement is followed by its own
    /// sync, so each is its own transaction and an error in one leaves the
    /// others alone. Answers one result per statement, in order.
    ///
    /// Falls back to running them one by one when pipelining does not apply:
    /// transaction pool mode (a pooler may route each sync to another server
    /// session, and unnamed statements would be overwritten), a single statement, a transaction already open, a statement that
    /// cannot be prepared (cache full), or parameters too large to send
    /// before reading (the server could block writing results meanwhile).
    func pipelined(_ batch: [PipelinedStatement]) -> [Result<PostgresRows, any Error>] {
        guard batch.count > 1, options.poolMode == .session, transactionStatus == .idle,
              batch.reduce(0, { $0 + Self.parameterBytes($1.params) }) <= Self.pipelineParameterLimit,
              let names = try? batch.map({ try preparedName(for: $0) }),
              let pg = try? live(), PQenterPipelineMode(pg) == 1 else {
            return batch.map { statement in Result { try query(statement.sql, statement.params) } }
        }
        var outcomes = [Result<PostgresRows, any Error>?](repeating: nil, count: batch.count)
        var sent: [Int] = []
        var sendFailed = false
        for (index, statement) in batch.enumerated() {
            do {
                let ok = try withEncoded(statement.params, sql: statement.sql) { values, _ in
                    PQsendQueryPrepared(pg, names[index], Int32(statement.params.count), values, nil, nil, 0) == 1
                        && PQpipelineSync(pg) == 1
                }
                guard ok else { sendFailed = true; break }
                sent.append(index)
            } catch {
                outcomes[index] = .failure(error) // a bad parameter: this statement only, nothing sent
            }
        }
        if !sendFailed && PQflush(pg) != 0 { sendFailed = true }
        var stale: [Int] = []
        // One deadline for the whole pipeline; past it the connection is gone
        // (and `pg` freed), so every later statement fails with that error.
        let deadline = options.queryTimeout.map { ContinuousClock.now + $0 }
        var abandoned: (any Error)?
        for index in sent {
            if let abandoned {
                outcomes[index] = .failure(abandoned)
                continue
            }
            do {
                guard !broken, let result = try nextResult(pg, deadline: deadline, sql: batch[index].sql) else {
                    broken = true
                    outcomes[index] = .failure(makeError(nil, sql: batch[index].sql))
                    continue
                }
                let status = PQresultStatus(result)
                if status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK {
                    outcomes[index] = .success(PostgresRows(result: result))
                } else {
                    let error = makeError(result, sql: batch[index].sql)
                    if isStalePlan(error) { stale.append(index) }
                    outcomes[index] = .failure(error)
                }
                PQclear(result)
                // The end of this statement's results, then its sync.
                while let extra = try nextResult(pg, deadline: deadline, sql: nil) { PQclear(extra) }
                if let sync = try nextResult(pg, deadline: deadline, sql: nil) {
                    if PQresultStatus(sync) != PGRES_PIPELINE_SYNC { broken = true }
                    PQclear(sync)
                } else {
                    broken = true
                }
            } catch {
                abandoned = error
                if outcomes[index] == nil { outcomes[index] = .failure(error) }
            }
        }
        if abandoned != nil { return batch.indices.map { outcomes[$0] ?? .failure(abandoned!) } }
        if sendFailed { broken = true }
        if broken || PQexitPipelineMode(pg) != 1 { broken = true }
        // DDL changed a statement's result type: forget it and run it again
        // unpipelined (which prepares it afresh).
        for index in stale where !broken {
            if let name = statements[batch[index].sql] { forget(sql: batch[index].sql, name: name) }
            outcomes[index] = Result { try query(batch[index].sql, batch[index].params) }
        }
        return batch.indices.map { index in
            outcomes[index] ?? .failure(PostgresError(.connectionLost, "the connection failed while sending a pipeline",
                                                      query: batch[index].sql))
        }
    }

    /// Parameter bytes a pipeline may send before reading any result.
    static let pipelineParameterLimit = 64 * 1024

    private static func parameterBytes(_ params: [(any PostgresBind)?]) -> Int {
        params.reduce(0) { $0 + ($1.map { $0.postgresText.utf8.count } ?? 0) }
    }
}
