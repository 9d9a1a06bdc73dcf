import Basics
import CLibPQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A NOTIFY received by a `PostgresListener`, or the listener's note that it
/// reconnected (`kind == .reconnected`): notifications sent while it was
/// disconnected are lost, so consumers should re-poll for pending work.
public struct PostgresNotification: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case notification, reconnected }
    public var kind: Kind
    public var channel: String
    public var payload: String
    /// Backend pid of the sending session (0 for `.reconnected`).
    public var pid: Int32

    public init(kind: Kind = .notification, channel: String, payload: String, pid: Int32) {
        self.kind = kind
        self.channel = channel
        self.payload = payload
        self.pid = pid
    }

    public var isReconnected: Bool { kind == .reconnected }
}

/// LISTEN on a dedicated connection and thread.
///
///     let listener = PostgresListener(url: url)
///     try await listener.listen("jobs")
///     for await event in listener.notifications {
///         if event.isReconnected { repoll(); continue }
///         handle(event.channel, event.payload)
///     }
///
/// The thread sleeps in poll() on the connection's socket and a wake-up pipe
/// (no sleep loops). After the server restarts it reconnects with backoff,
/// re-LISTENs every channel, then yields a `.reconnected` event.
/// `notifications` is meant for a single consumer.
///
/// Every `pingInterval` it sends itself a NOTIFY (from another session, the
/// way real notifications come: `pingVia`, e.g. the URL and options of the
/// pool that sends them; else from its own): a listener that is connected
/// but deaf (a network partition, or a transaction-mode pooler that drops
/// notifications) is noticed within `pingInterval + pingTimeout`, reported to
/// `onDeaf` and reconnected, instead of waiting on a silent socket forever.
public final class PostgresListener: Sendable {
    public let notifications: AsyncStream<PostgresNotification>
    private let shared: ListenerShared

    /// Starts the thread, which connects at once (and keeps retrying).
    public init(url: String, reconnectDelay: Duration = .milliseconds(100),
                maxReconnectDelay: Duration = .seconds(2), connectTimeout: Int = 5,
                poolMode: PostgresSessionOptions.PoolMode = .session,
                pingInterval: Duration? = .seconds(5), pingTimeout: Duration = .seconds(3),
                pingVia: (url: String, options: PostgresSessionOptions)? = nil,
                onDeaf: (@Sendable (String) -> Void)? = nil) {
        let (stream, continuation) = AsyncStream<PostgresNotification>.makeStream(bufferingPolicy: .unbounded)
        notifications = stream
        shared = ListenerShared(continuation: continuation)
        // LISTEN needs a session of its own. Behind a transaction-mode pooler
        // it connects (no startup options) but goes deaf, which the pings tell.
        let options = PostgresSessionOptions(poolMode: poolMode, connectTimeout: connectTimeout, queryTimeout: pingTimeout)
        let loop = ListenerLoop(url: url, shared: shared, options: options,
                                minDelay: reconnectDelay.seconds, maxDelay: maxReconnectDelay.seconds,
                                ping: pingInterval.map { ListenerPing(interval: $0, timeout: pingTimeout, via: pingVia) },
                                onDeaf: onDeaf)
        let thread = Thread { loop.run() }
        thread.name = "herald-pg-listener"
        thread.start()
    }

    deinit { shared.stop() }

    /// Subscribes to `channel` ([a-z0-9_], at most 63 characters). Returns
    /// once the LISTEN is active. If the server is unreachable it throws,
    /// but the channel stays registered and is LISTENed after reconnecting.
    public func listen(_ channel: String) async throws {
        try Self.validate(channel)
        try await shared.command(.listen(channel))
    }

    public func unlisten(_ channel: String) async throws {
        try Self.validate(channel)
        try await shared.command(.unlisten(channel))
    }

    /// True while connected with every channel LISTENed.
    public var isConnected: Bool { shared.isConnected }

    /// Self-NOTIFYs that came back, and times the listener was found deaf
    /// (a ping unanswered within its timeout), since it started.
    public var pingStats: (answered: Int, deaf: Int) { shared.pingStats }

    /// Closes the connection, ends the thread and finishes `notifications`;
    /// returns once the connection is closed.
    public func stop() {
        shared.stop()
        shared.waitUntilFinished()
    }

    static func validate(_ channel: String) throws {
        guard !channel.isEmpty, channel.utf8.count <= 63,
              channel.utf8.allSatisfy({ $0 == 95 || (48...57).contains($0) || (97...122).contains($0) })
        else { throw PostgresError(.invalidArgument, "invalid channel name (use [a-z0-9_], max 63): \(channel)") }
    }
}

/// State shared by the listener's owner and its thread.
final class ListenerShared: @unchecked Sendable {
    enum Operation { case listen(String), unlisten(String) }
    struct Command {
        let operation: Operation
        let done: @Sendable (Result<Void, any Error>) -> Void
    }

    let continuation: AsyncStream<PostgresNotification>.Continuation
    private let lock = NSLock()
    private var channels: Set<String> = []
    private var commands: [Command] = []
    private var stopped = false
    private var connected = false
    private var answeredPings = 0
    private var deafPings = 0
    private let finished = DispatchSemaphore(value: 0)
    /// Wake-up pipe: a byte written to [1] makes the thread's poll() return.
    let wake: (read: Int32, write: Int32)

    init(continuation: AsyncStream<PostgresNotification>.Continuation) {
        self.continuation = continuation
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0, "pipe() failed: errno \(errno)")
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wake = (fds[0], fds[1])
    }

    var isConnected: Bool { lock.withLock { connected } }
    var pingStats: (answered: Int, deaf: Int) { lock.withLock { (answeredPings, deafPings) } }
    func countPing(answered: Bool) {
        lock.withLock { if answered { answeredPings += 1 } else { deafPings += 1 } }
    }

    func command(_ operation: Operation) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let accepted = lock.withLock { () -> Bool in
                guard !stopped else { return false }
                switch operation {
                case .listen(let channel): channels.insert(channel)
                case .unlisten(let channel): channels.remove(channel)
                }
                commands.append(Command(operation: operation) { continuation.resume(with: $0) })
                return true
            }
            if accepted {
                signal()
            } else {
                continuation.resume(throwing: PostgresError(.poolClosed, "the listener is stopped"))
            }
        }
    }

    func signal() {
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1) // EAGAIN: a wake-up is already pending
    }

    func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        if first { signal() }
    }

    func waitUntilFinished() {
        finished.wait()
        finished.signal() // let later callers through too
    }

    // MARK: Used by the thread

    var isStopped: Bool { lock.withLock { stopped } }
    var currentChannels: Set<String> { lock.withLock { channels } }
    func setConnected(_ value: Bool) { lock.withLock { connected = value } }

    func takeCommands() -> [Command] {
        lock.withLock {
            defer { commands = [] }
            return commands
        }
    }

    func drainWake() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wake.read, &buffer, buffer.count) > 0 {}
    }

    func finish() {
        for command in takeCommands() {
            command.done(.failure(PostgresError(.poolClosed, "the listener is stopped")))
        }
        continuation.finish()
        close(wake.read)
        close(wake.write)
        finished.signal()
    }
}
