import Dispatch

/// Runs blocking socket work on a Dispatch thread instead of Swift's
/// cooperative pool, whose few threads (one per core) must never wait on
/// the network. Each call gets its own serial queue: serial queues target
/// Dispatch's overcommitting root queue, which starts a new thread when the
/// others are blocked, so slow servers cannot starve each other.
public enum BlockingIO {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "herald.delivery.io").async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}

