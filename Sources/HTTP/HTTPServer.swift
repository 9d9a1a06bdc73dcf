import Dispatch
import Foundation
import Glibc

/// An HTTP/1.1 server: `eventLoopCount` epoll loops on their own threads accept from one
/// listening socket, parse requests, run the responder in Tasks and write the responses.
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

    private let lock = Lock()
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
            group.notify(queue: .global()) { close(listenFD) }
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
