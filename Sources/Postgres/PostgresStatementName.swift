import Foundation

/// Names of prepared statements, derived from their SQL text.
///
/// A counter (`s1`, `s2`, …) names different statements alike on different
/// sessions; when a transaction-mode pooler hands one server session to
/// several clients, a client's `s1` can then run another client's `s1`, a
/// different query taking the same parameters. A name made from the SQL's
/// hash can only ever mean that SQL: on a shared session the worst case is
/// "already exists" (harmless: it is this statement) or "does not exist"
/// (an error, never a wrong query).
enum PostgresStatementName {
    /// `h` + 128 bits of hash in hex + `_` + generation; well under
    /// PostgreSQL's 63-byte identifier limit.
    static func make(sql: String, generation: Int) -> String {
        var first: UInt64 = 0xcbf2_9ce4_8422_2325 // FNV-1a offset basis
        var second: UInt64 = 0x8422_2325_cbf2_9ce4 ^ UInt64(truncatingIfNeeded: sql.utf8.count)
        for byte in sql.utf8 {
            first = (first ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            second = (second &+ UInt64(byte)) &* 0x9e37_79b9_7f4a_7c15
            second ^= second >> 29
        }
        return "h" + hex(first) + hex(second) + "_\(generation)"
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension PostgresConnection {
    /// Advice for an error caused by a server session shared with other clients.
    static let sharedSessionAdvice = "this server session is shared with other clients (a connection pooler in "
        + "transaction mode?): set HERALD_DATABASE_POOL_MODE=transaction"

    /// Tells `options.onSharedSession` (once per session) that prepared
    /// statements met another client's session.
    func reportSharedSession() {
        guard !sharedSessionReported else { return }
        sharedSessionReported = true
        options.onSharedSession?(Self.sharedSessionAdvice)
    }

    func withSharedSessionAdvice(_ error: PostgresError) -> PostgresError {
        guard sharedSessionReported else { return error }
        var advised = error
        advised.message += " (\(Self.sharedSessionAdvice))"
        return advised
    }
}
