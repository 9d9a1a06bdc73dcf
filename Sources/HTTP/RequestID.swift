/// Request ids: the client's `X-Request-Id` when it is 1-128 token characters (so it is safe to
/// echo and to log), otherwise `<random per-loop prefix>-<connection>-<request>` in hex, unique
/// per process run without a syscall per request.
enum RequestID {
    static let maxLength = 128

    static func isValid(_ id: String) -> Bool {
        let count = id.utf8.count
        return count >= 1 && count <= maxLength && ASCII.isToken(id)
    }

    /// A 16-hex-digit random prefix for one event loop.
    static func randomPrefix() -> String {
        var rng = SystemRandomNumberGenerator()
        return hex(rng.next(), width: 16)
    }

    static func hex(_ value: UInt64, width: Int = 0) -> String {
        let s = String(value, radix: 16)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
