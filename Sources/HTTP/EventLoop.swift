import Basics
import Glibc

/// One event-loop thread: an epoll set with the shared listening socket, the shutdown eventfd,
/// its own wake-up eventfd, and the connections it accepted.
///
/// Triggering: connection sockets are registered once, edge-triggered, for IN|OUT|RDHUP, so no
/// epoll_ctl call is needed per request; readiness is remembered in `ServerConnection.readable`
/// and writes are attempted directly and resumed on the next EPOLLOUT edge. The listening socket
/// (EPOLLEXCLUSIVE, so one loop wakes per connection) and the eventfds are level-triggered.
///
/// Handlers run in `Task`s on the concurrency pool; their responses come back through `inbox`
/// and the wake-up eventfd, and the loop writes them. Nothing here blocks a pool thread.
/// With `runHandlersOnEventLoop` the loop is also the handlers' task executor (see
/// `EventLoop+Executor.swift`): a handler that does not suspend elsewhere is then served within
/// one loop iteration, with no thread hop at all.
final class EventLoop: @unchecked Sendable {
    struct Completion {
        var fd: Int32
        var serial: UInt32
        var response: HTTPResponse
    }

    /// What other threads hand to the loop.
    enum InboxItem {
        case completion(Completion)
        /// A job of a task that prefers this loop as its executor.
        case job(UnownedJob)
        /// A connection another loop accepted and assigned to this one.
        case adopt(fd: Int32, remote: String)
        /// A connection accepted over the cap: it takes the place of one of this loop's
        /// evictable connections, or is passed on to the next loop (`loopsLeft` more may be
        /// asked), or is refused. It holds no slot of the cap until it replaces a connection.
        case adoptReplacing(fd: Int32, remote: String, loopsLeft: Int)
    }

    static let listenTag = UInt64.max
    static let wakeTag = UInt64.max - 1
    static let shutdownTag = UInt64.max - 2
    static let maxEvents = 256
    static let readBufferSize = 65536

    let index: Int
    let context: ServerContext
    let epollFD: Int32
    let wakeFD: Int32

    // Cross-thread hand-off, guarded by inboxLock; everything else below is loop-thread only.
    let inboxLock = Locked()
    var inbox: [InboxItem] = []
    var wakePending = false
    /// The loop is in (or about to enter) a blocking epoll_wait.
    var loopSleeping = false
    /// Set when the loop has exited: jobs then go to the global executor.
    var executorFinished = false

    /// The loop thread, so hand-offs from the loop itself can skip the lock and the eventfd.
    var loopThread = pthread_t()
    /// Loop-thread only: the inbox batch being processed, swapped with `inbox`.
    var inboxSpare: [InboxItem] = []
    /// Loop-thread only: work produced on the loop for the loop (handlers run inline).
    var localJobs: [UnownedJob] = []
    var localJobsSpare: [UnownedJob] = []
    var localCompletions: [Completion] = []
    var localCompletionsSpare: [Completion] = []
    var connections: [ServerConnection?] = []
    var activeCount = 0
    var serialCounter: UInt64 = 0
    var draining = false
    private var drainDeadline: UInt64 = 0
    var listening = true
    var acceptPausedUntil: UInt64?
    var redrive: [ServerConnection] = []
    var dateCache = HTTPDateCache()
    let requestIDPrefix: String
    let readBuffer: UnsafeMutableRawBufferPointer
    private let events: UnsafeMutableRawPointer

    init(index: Int, context: ServerContext) throws {
        self.index = index
        self.context = context
        epollFD = Sys.epollCreate1(Sys.EPOLL_CLOEXEC)
        guard epollFD >= 0 else { throw HTTPServerError(operation: "epoll_create1", errno: errno) }
        wakeFD = Sys.eventfdFn(0, Sys.EFD_NONBLOCK | Sys.EFD_CLOEXEC)
        guard wakeFD >= 0 else {
            let e = errno
            close(epollFD)
            throw HTTPServerError(operation: "eventfd", errno: e)
        }
        requestIDPrefix = RequestID.randomPrefix()
        readBuffer = .allocate(byteCount: EventLoop.readBufferSize, alignment: 16)
        events = .allocate(byteCount: EventLoop.maxEvents * Sys.epollEventSize, alignment: 16)
        _ = Sys.epollCtl(epollFD, Sys.EPOLL_CTL_ADD, wakeFD, events: Sys.EPOLLIN, data: EventLoop.wakeTag)
        _ = Sys.epollCtl(epollFD, Sys.EPOLL_CTL_ADD, context.shutdownEvent.fd, events: Sys.EPOLLIN,
                         data: EventLoop.shutdownTag)
        guard Sys.epollCtl(epollFD, Sys.EPOLL_CTL_ADD, context.listenFD,
                           events: Sys.EPOLLIN | Sys.EPOLLEXCLUSIVE, data: EventLoop.listenTag) == 0 else {
            throw HTTPServerError(operation: "epoll_ctl(listen)", errno: errno)
        }
    }

    /// The loop's fds stay open until no handler Task can still signal `wakeFD`.
    deinit {
        close(wakeFD)
        close(epollFD)
        readBuffer.deallocate()
        events.deallocate()
    }

    // MARK: any thread

    /// Hands a handler's response to the loop.
    func complete(fd: Int32, serial: UInt32, response: HTTPResponse) {
        let completion = Completion(fd: fd, serial: serial, response: response)
        if isLoopThread {
            localCompletions.append(completion)
        } else {
            post(.completion(completion))
        }
    }

    /// Queues an item from another thread. Wake-ups are coalesced: at most one eventfd write
    /// per sleep of the loop. Returns false if the loop has already exited.
    @discardableResult
    func post(_ item: InboxItem) -> Bool {
        let (accepted, wake) = inboxLock.withLock { () -> (Bool, Bool) in
            if executorFinished { return (false, false) }
            inbox.append(item)
            // A loop that is not asleep checks the inbox before it next sleeps; an eventfd
            // already signalled and not yet drained still wakes it.
            guard loopSleeping && !wakePending else { return (true, false) }
            wakePending = true
            return (true, true)
        }
        if wake { Sys.signal(eventFD: wakeFD) }
        return accepted
    }

    @inline(__always)
    var isLoopThread: Bool { pthread_equal(pthread_self(), loopThread) != 0 }

    // MARK: loop thread

    /// Runs until shutdown has been requested and every connection of this loop is closed.
    func run() {
        loopThread = pthread_self()
        defer { finishExecutor() }
        var nextTick = Sys.monotonicNanoseconds() &+ context.tickInterval
        while !(draining && activeCount == 0) {
            var now = Sys.monotonicNanoseconds()
            var timeout: Int32 = 0
            if redrive.isEmpty && localJobs.isEmpty && localCompletions.isEmpty && nextTick > now
                && prepareToSleep() {
                timeout = Int32(clamping: (nextTick - now + 999_999) / 1_000_000)
            }
            let count = Sys.epollWaitFn(epollFD, events, Int32(EventLoop.maxEvents), timeout)
            now = Sys.monotonicNanoseconds()
            if count < 0 && errno != EINTR {
                fatalError("epoll_wait failed: errno \(errno)")
            }
            var woken = false
            for i in 0..<Int(max(count, 0)) {
                let (flags, data) = Sys.event(events, i)
                switch data {
                case EventLoop.listenTag: acceptConnections(now: now)
                case EventLoop.wakeTag: woken = true
                case EventLoop.shutdownTag: beginDraining(now: now)
                default: connectionEvent(flags: flags, data: data, now: now)
                }
            }
            processInbox(now: now, woken: woken)
            runLocalWork()
            if !redrive.isEmpty {
                let pending = redrive
                redrive.removeAll(keepingCapacity: true)
                for connection in pending where !connection.closed {
                    connection.queuedForRedrive = false
                    drive(connection, now: now)
                }
            }
            if now >= nextTick {
                tick(now: now)
                nextTick = now &+ context.tickInterval
            }
        }
    }

    private func connectionEvent(flags: UInt32, data: UInt64, now: UInt64) {
        let fd = Int32(truncatingIfNeeded: data & 0xFFFF_FFFF)
        guard fd >= 0, Int(fd) < connections.count, let connection = connections[Int(fd)],
              connection.serial == UInt32(truncatingIfNeeded: data >> 32) else { return }
        if flags & (Sys.EPOLLRDHUP | Sys.EPOLLHUP | Sys.EPOLLERR) != 0 { connection.hangup = true }
        if flags & (Sys.EPOLLIN | Sys.EPOLLRDHUP | Sys.EPOLLHUP | Sys.EPOLLERR) != 0 { connection.readable = true }
        if flags & (Sys.EPOLLOUT | Sys.EPOLLERR | Sys.EPOLLHUP) != 0 {
            guard flush(connection, now: now) else { return }
        }
        drive(connection, now: now)
    }

    /// Declares the loop about to block in epoll_wait, unless the inbox already has work (then
    /// returns false and the loop polls without waiting). Only a sleeping loop is signalled.
    private func prepareToSleep() -> Bool {
        inboxLock.withLock {
            guard inbox.isEmpty else { return false }
            loopSleeping = true
            return true
        }
    }

    /// Takes everything posted by other threads, every iteration (a busy loop is not signalled).
    private func processInbox(now: UInt64, woken: Bool) {
        if woken { Sys.drain(eventFD: wakeFD) }
        // Swap the inbox with an empty spare so neither array is copied or reallocated.
        inboxLock.withLock {
            loopSleeping = false
            if woken { wakePending = false }
            swap(&inbox, &inboxSpare)
        }
        defer { inboxSpare.removeAll(keepingCapacity: true) }
        for item in inboxSpare {
            switch item {
            case .completion(let completion): handle(completion, now: now)
            case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            case .adopt(let fd, let remote): adopt(fd: fd, remote: remote, now: now)
            case .adoptReplacing(let fd, let remote, let loopsLeft):
                adoptReplacing(fd: fd, remote: remote, loopsLeft: loopsLeft, now: now)
            }
        }
    }

    /// Writes a handler's response, then lets the connection go on (pipelined requests).
    func handle(_ completion: Completion, now: UInt64) {
        guard Int(completion.fd) < connections.count, let connection = connections[Int(completion.fd)],
              connection.serial == completion.serial else { return }  // closed meanwhile
        let action = connection.machine.responseReady(completion.response, now: now)
        guard execute(action, on: connection, now: now) else { return }
        drive(connection, now: now)
    }

    /// Shutdown requested: stop accepting (shutting the listening socket down makes new
    /// connects fail at once), close idle connections, let the rest finish.
    private func beginDraining(now: UInt64) {
        guard !draining else { return }
        draining = true
        drainDeadline = now &+ context.configuration.shutdownGracePeriod.wholeNanoseconds
        _ = Sys.epollCtl(epollFD, Sys.EPOLL_CTL_DEL, context.shutdownEvent.fd, events: 0, data: 0)
        stopListening()
        acceptPausedUntil = nil
        Glibc.shutdown(context.listenFD, Int32(SHUT_RDWR))
        for case let connection? in connections {
            let action = connection.machine.beginShutdown(now: now)
            guard execute(action, on: connection, now: now) else { continue }
            drive(connection, now: now)
        }
    }

    private func tick(now: UInt64) {
        if let until = acceptPausedUntil, now >= until, !draining {
            acceptPausedUntil = nil
            listening = Sys.epollCtl(epollFD, Sys.EPOLL_CTL_ADD, context.listenFD,
                                     events: Sys.EPOLLIN | Sys.EPOLLEXCLUSIVE, data: EventLoop.listenTag) == 0
        }
        let forceClose = draining && now >= drainDeadline
        for case let connection? in connections {
            if forceClose {
                closeConnection(connection)
                continue
            }
            let action = connection.machine.tick(now: now)
            guard execute(action, on: connection, now: now) else { continue }
            if case .wait = action { continue }
            drive(connection, now: now)
        }
    }

    /// Closes a connection and gives back its slot of the cap, unless a new connection takes
    /// that slot over (`releasingSlot: false`, eviction).
    func closeConnection(_ connection: ServerConnection, releasingSlot: Bool = true) {
        guard !connection.closed else { return }
        connection.closed = true
        close(connection.fd)  // also removes it from the epoll set
        connections[Int(connection.fd)] = nil
        activeCount -= 1
        if releasingSlot { context.releaseConnection() }
    }
}
