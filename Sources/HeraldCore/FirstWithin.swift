import Foundation

/// The result of `operation`, or `fallback` if it has not finished within
/// `limit`. The operation is not cancelled (a blocking libpq call cannot be):
/// it finishes in the background and its late result is dropped. For probes
/// that must answer in time whatever the database does.
func firstWithin<T: Sendable>(_ limit: Duration, otherwise fallback: T,
                              _ operation: @escaping @Sendable () async -> T) async -> T {
    let once = ResumeOnce<T>()
    return await withCheckedContinuation { continuation in
        once.set(continuation)
        Task { once.resume(await operation()) }
        Task {
            try? await Task.sleep(for: limit)
            once.resume(fallback)
        }
    }
}

/// A continuation resumed by whichever caller comes first.
private final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Never>?
    private var early: T?

    func set(_ continuation: CheckedContinuation<T, Never>) {
        lock.lock()
        if let early {
            lock.unlock()
            continuation.resume(returning: early)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func resume(_ value: T) {
        lock.lock()
        guard let continuation else {
            if early == nil { early = value }
            lock.unlock()
            return
        }
        self.continuation = nil
        lock.unlock()
        continuation.resume(returning: value)
    }
}
