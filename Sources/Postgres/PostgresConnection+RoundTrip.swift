import Basics
import CLibPQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Every wait for the server goes through here, so every wait has the
/// session's deadline: libpq's own blocking calls (PQexec and friends) would
/// wait for as long as TCP keeps retrying, which in a network partition is
/// minutes.
extension PostgresConnection {
    /// Sends with `send`, then reads every result the command produces. Gives
    /// back the first error result if there was one, else the last result;
    /// the caller clears it. Throws (and drops the connection) when the
    /// deadline passes or the connection breaks before an answer.
    func roundTrip(sql: String?, _ send: (OpaquePointer) -> Int32) throws -> OpaquePointer? {
        let pg = try live()
        guard send(pg) == 1 else { throw makeError(nil, sql: sql) }
        let deadline = currentDeadline()
        var kept: OpaquePointer?
        while let result = try nextResult(pg, deadline: deadline, sql: sql) {
            let status = PQresultStatus(result)
            if let previous = kept {
                // Keep the first error; otherwise the latest result.
                if Self.isFailure(previous) {
                    PQclear(result)
                } else {
                    PQclear(previous)
                    kept = result
                }
            } else {
                kept = result
            }
            // COPY is not driven here; libpq would answer the COPY state forever.
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH { break }
        }
        return kept
    }

    /// Now plus the query timeout, or the caller's budget if that ends sooner.
    func currentDeadline() -> ContinuousClock.Instant? {
        let own = options.queryTimeout.map { ContinuousClock.now + $0 }
        guard let budgetDeadline else { return own }
        return own.map { min($0, budgetDeadline) } ?? budgetDeadline
    }

    static func isFailure(_ result: OpaquePointer) -> Bool {
        let status = PQresultStatus(result)
        return status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY
    }

    /// The next result of the command in flight, waiting for it within
    /// `deadline`; nil once the command's results are all read.
    func nextResult(_ pg: OpaquePointer, deadline: ContinuousClock.Instant?, sql: String?) throws -> OpaquePointer? {
        while PQisBusy(pg) == 1 {
            try waitReadable(pg, deadline: deadline, sql: sql)
            // A read error leaves libpq ready to report it from PQgetResult.
            if PQconsumeInput(pg) == 0 { break }
        }
        return PQgetResult(pg)
    }

    /// Sleeps in poll() until the socket is readable or the deadline passes;
    /// past the deadline, abandons the connection and throws `.timeout`.
    private func waitReadable(_ pg: OpaquePointer, deadline: ContinuousClock.Instant?, sql: String?) throws {
        var fds = pollfd(fd: PQsocket(pg), events: Int16(POLLIN), revents: 0)
        while true {
            var millis: Int32 = -1
            if let deadline {
                let left = deadline - ContinuousClock.now
                if left <= .zero { throw abandon(sql: sql) }
                millis = Int32(min(Double(Int32.max), (left.seconds * 1000).rounded(.up)))
            }
            let ready = poll(&fds, 1, millis)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR {
                broken = true
                throw PostgresError(.connectionLost, "poll() on the connection failed: errno \(errno)", query: sql)
            }
        }
    }

    /// The server did not answer in time: ask it (in the background, since in
    /// a partition that request hangs too) to cancel the statement, so a
    /// query stuck on a lock does not hold its backend forever, then drop the
    /// session. The caller sees `.timeout`, a connection error.
    func abandon(sql: String?) -> PostgresError {
        if let pg, let cancel = PQgetCancel(pg) {
            QueryCanceller.shared.cancel(UnsafeTransfer(cancel))
        }
        let limit = options.queryTimeout.map { "\($0)" } ?? "its deadline"
        close()
        broken = true
        return PostgresError(.timeout, "the server did not answer within \(limit); the connection was dropped", query: sql)
    }
}

/// Sends cancel requests one at a time on a thread of its own: PQcancel
/// connects to the server and blocks, so it must not hold up the caller whose
/// query is being given up on. Bounded: in a partition, requests beyond the
/// limit are dropped (their backends end when the server notices the
/// connection is gone).
final class QueryCanceller: @unchecked Sendable {
    static let shared = QueryCanceller()
    static let limit = 64

    private let condition = NSCondition()
    private var pending: [UnsafeTransfer<OpaquePointer>] = []

    private init() {
        let thread = Thread { [self] in run() }
        thread.name = "herald-pg-cancel"
        thread.start()
    }

    func cancel(_ request: UnsafeTransfer<OpaquePointer>) {
        condition.lock()
        defer { condition.unlock() }
        guard pending.count < Self.limit else {
            PQfreeCancel(request.value)
            return
        }
        pending.append(request)
        condition.signal()
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let request = pending.removeFirst()
            condition.unlock()
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(request.value, &buffer, Int32(buffer.count))
            PQfreeCancel(request.value)
        }
    }
}
