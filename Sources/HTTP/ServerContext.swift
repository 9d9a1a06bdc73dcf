import Basics
import Glibc

/// A file descriptor closed when its last owner goes away. Used for fds that other threads
/// may still signal (the shutdown eventfd), so they are never closed while a reference exists
/// and their number can never be reused under a late writer.
final class OwnedFileDescriptor: Sendable {
    let fd: Int32

    init(_ fd: Int32) { self.fd = fd }

    deinit { close(fd) }
}

/// State shared by all event loops of one server.
final class ServerContext: @unchecked Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let limits: HTTPParserLimits
    let timeouts: HTTPConnectionTimeouts
    let tickInterval: UInt64
    /// The listening socket; loops accept from it until shutdown shuts it down.
    let listenFD: Int32
    /// Level-triggered eventfd in every loop's epoll set; `HTTPServer.shutdown()` signals it.
    let shutdownEvent: OwnedFileDescriptor
    /// Written to a new connection when the cap is reached and no connection can make room;
    /// rendered once by the application's renderer.
    let overloadedResponse: [UInt8]

    private let lock = Locked()
    private var openConnections = 0  // guarded by lock
    private var nextLoopIndex = 0    // guarded by lock
    /// Set once before the loop threads start; emptied when they have all stopped (the loops
    /// hold this context, so the reference cycle is broken there).
    private var loops: [EventLoop] = []  // guarded by lock

    init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, listenFD: Int32,
         shutdownEvent: OwnedFileDescriptor) {
        self.configuration = configuration
        self.responder = responder
        self.limits = configuration.parserLimits
        self.timeouts = configuration.timeouts
        self.tickInterval = configuration.tickInterval
        self.listenFD = listenFD
        self.shutdownEvent = shutdownEvent
        var overloaded: [UInt8] = []
        HTTPResponseSerializer.write(
            configuration.errorRenderer(.overloaded),
            context: HTTPResponseContext(method: "", path: "", requestID: "", version: .http1_1, isHead: false,
                                         close: true, startedAt: 0),
            serverName: configuration.serverName, date: nil, into: &overloaded)
        overloadedResponse = overloaded
    }

    /// Counts a new connection against `maxConnections`; false when the server is full.
    func tryAcquireConnection() -> Bool {
        lock.withLock {
            guard openConnections < configuration.maxConnections else { return false }
            openConnections += 1
            return true
        }
    }

    func setLoops(_ loops: [EventLoop]) {
        lock.withLock { self.loops = loops }
    }

    /// The loop after `loop`, for passing on a search for a connection to evict; nil once the
    /// loops have stopped.
    func loop(after loop: EventLoop) -> EventLoop? {
        lock.withLock {
            guard !loops.isEmpty else { return nil }
            return loops[(loop.index + 1) % loops.count]
        }
    }

    var loopCount: Int { lock.withLock { loops.count } }

    /// Round-robin owner for the next accepted connection.
    func nextLoop() -> EventLoop {
        lock.withLock {
            nextLoopIndex = (nextLoopIndex + 1) % loops.count
            return loops[nextLoopIndex]
        }
    }

    func releaseConnection() {
        lock.withLock { openConnections -= 1 }
    }

    var connectionCount: Int { lock.withLock { openConnections } }
}
