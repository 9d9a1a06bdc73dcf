import Foundation

/// A value behind a lock, for the little state the worker's tasks share
/// (lease book, counters, caches). Critical sections are a few field updates,
/// never I/O, so a plain mutex beats an actor hop on every send.
final class Protected<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
