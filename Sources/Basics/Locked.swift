import Foundation

/// A value behind a lock: the one lock type of Herald's modules, for the
/// little state threads and tasks share (pool bookkeeping, lease books,
/// counters, an event loop's inbox). Critical sections are a few field
/// updates, never I/O, so a plain mutex beats an actor hop.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    @inline(__always)
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

extension Locked where Value == Void {
    /// A bare mutex, for sections that guard state of their own.
    public convenience init() { self.init(()) }

    @inline(__always)
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        try withLock { (_: inout Void) in try body() }
    }
}

/// Moves a value the compiler cannot prove Sendable across threads, where
/// the API guarantees (via `sending` or exclusive checkout) one owner at a time.
public struct UnsafeTransfer<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
