import Basics
import Dispatch
import Foundation
import Glibc

/// An HTTP/1.1 server: `eventLoopCount` epoll loops on their own threads accept from one
/// listening socket, parse requests, run the responder in Tasks and write the responses.
///
/// Design, in brief (details at each type):
/// - Threads: one loop thread per core by default. A loop owns its connections outright;
///   handlers run as `Task`s on the concurrency pool and hand their response back through the
///   loop's inbox plus an eventfd wake-up. No loop code ever runs on, or blocks, the pool.
/// - epoll: connections are edge-triggered (registered once for IN|OUT|RDHUP); the listening
///   socket (EPOLLEXCLUSIVE) and the eventfds are level-triggered. See `EventLoop`.
/// - Accepting: any loop accepts from the one listening socket; each connection is assigned
///   to a loop round-robin (handed over through the inbox), so load spreads evenly.
/// - Protocol logic lives in two pure structs, `HTTPRequestParser` and
///   `HTTPConnectionStateMachine`, which take bytes and the current time and return actions;
///   the loop only performs I/O. Requests on a connection are handled one at a time, so
///   pipelined responses leave in request order.
/// - Errors: a parse error or limit is answered with its status (400, 408, 413, 414, 417, 431,
///   505) and a body from the application's `errorRenderer` (plain text by default), then the
///   connection is closed: the server shuts down its sending side and discards input for
///   `lingerTimeout` so the peer reads the answer instead of a reset. Idle timeouts and stalled
///   writes just close.
/// - Timeouts: first byte (from accept), head (total, from its first byte: slowloris), body
///   (total), idle keep-alive, write (no progress). A slow head or body gets 408; the others
///   close silently.
/// - Connection cap: a connection over `maxConnections` replaces the longest-idle connection
///   with no request in progress (see `EventLoop+Eviction.swift`); only when every connection
///   is mid-request is it answered 503 and closed.
/// - Response headers with CR/LF/control characters or invalid names are dropped, never
///   written (`HTTPResponseSerializer`).
///
///     let server = HTTPServer(configuration: config, responder: router)
///     try server.start()             // binds; serving starts
///     print(server.localPort)
///     // later, from any thread or a signal handler path:
///     server.shutdown()
///     try await server.run()         // returns once every loop has drained
public final class HTTPServer: @unchecked Sendable {
    public let configuration: HTTPServerConfiguration
    private let responder: any HTTPResponder
    /// Created up front so `shutdown()` is a single write(2) on a descriptor that stays valid
    /// for the server's lifetime: safe from any thread, even before `start()`.
    private let shutdownEvent: OwnedFileDescriptor
    private let stopped = DispatchGroup()

    private let lock = Locked()
    private var started = false        // guarded by lock
    private var boundPort = 0          // guarded by lock
    private var context: ServerContext?  // guarded by lock

    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
                responder: some HTTPResponder) {
        self.configuration = configuration
        self.responder = responder
        let fd = Sys.eventfdFn(0, Sys.EFD_NONBLOCK | Sys.EFD_CLOEXEC)
        precondition(fd >= 0, "eventfd failed: errno \(errno)")
        shutdownEvent = OwnedFileDescriptor(fd)
    }

    /// The bound port (useful with `port: 0`); 0 before `start()`.
    public var localPort: Int { lock.withLock { boundPort } }

    /// Open connections across all loops.
    public var connectionCount: Int { lock.withLock { context?.connectionCount ?? 0 } }

    /// Binds, listens and starts the event-loop threads. Calling it again does nothing.
    public func start() throws {
        try lock.withLock {
            guard !started else { return }
            let (listenFD, port) = try Socket.listen(host: configuration.host, port: configuration.port,
                                                     backlog: configuration.backlog)
            let context = ServerContext(configuration: configuration, responder: responder,
                                        listenFD: listenFD, shutdownEvent: shutdownEvent)
            let loops: [EventLoop]
            do {
                loops = try (0..<max(1, configuration.eventLoopCount)).map {
                    try EventLoop(index: $0, context: context)
                }
            } catch {
                close(listenFD)
                throw error
            }
            started = true
            boundPort = port
            self.context = context
            context.setLoops(loops)
            let group = stopped
            for loop in loops {
                group.enter()
                let thread = Thread {
                    loop.run()
                    group.leave()
                }
                thread.name = "herald-http-\(loop.index)"
                thread.start()
            }
            // Every loop has drained and no longer touches the listening socket.
            group.notify(queue: .global()) {
                close(listenFD)
                context.setLoops([])
            }
        }
    }

    /// Starts the server if needed, then returns once it has shut down and drained.
    public func run() async throws {
        try start()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            stopped.notify(queue: .global()) { continuation.resume() }
        }
    }

    /// Blocks the calling thread until the server has shut down (returns at once if it never
    /// started). Not for use on the concurrency pool; use `run()` there.
    public func wait() {
        stopped.wait()
    }

    /// Graceful shutdown: stop accepting (new connections are refused), close idle connections,
    /// let requests in progress finish and their responses be written, then `run()` returns.
    /// After `shutdownGracePeriod` the remaining connections are closed. Idempotent, callable
    /// from any thread; it performs only one write(2), so a signal handler may call it.
    public func shutdown() {
        Sys.signal(eventFD: shutdownEvent.fd)
    }
}
