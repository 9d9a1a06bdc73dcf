import Basics
import Delivery
import Foundation
import Logging
import Rendering
import Store

/// The delivery worker: takes queued notifications from PostgreSQL, renders
/// those queued without content, sends them through their channel's provider
/// and writes every attempt back.
///
///     let worker = Worker(configuration: try WorkerConfiguration(), store: store,
///                         providers: { registry.provider(named: $0) }, logger: logger)
///     let running = Task { await worker.run() }
///     …
///     worker.shutdown()          // SIGTERM
///     await running.value        // in-flight sends finished, the rest released
///
/// Rows are claimed in batches in short transactions that commit before any
/// network I/O (`DeliveryQueue.claim`); sends run with bounded
/// concurrency; outcomes are written in batches (`DeliveryQueue.finish`).
/// Claim sizes and send slots adapt to the backlog and the cost of sends
/// (`LeaseBook`), so the defaults drain a backlog at the database's pace. The claim loop sleeps until a
/// NOTIFY on `herald_queue`, a freed slot, or the slow poll. Beside it run the
/// heartbeat (leases of held rows), the rescue (expired leases of dead
/// workers), the fan-out of accepted bulk batches and the retention of
/// finished rows. Embeddable: `herald worker`
/// and `herald dev` both run one; it never closes the store's pool.
public final class Worker: Sendable {
    public let configuration: WorkerConfiguration
    let queue: DeliveryQueue
    let providers: @Sendable (String) -> (any NotificationProvider)?
    /// Told of every attempt: provider name, outcome (sent, retry, failed) and seconds taken.
    let attemptObserver: (@Sendable (String, String, Double) -> Void)?
    let logger: Logger
    let renderer: NotificationRenderer
    let channels: ChannelResolver
    /// Failover: fallback channels' settings and this worker's circuit breakers.
    let fallbackChannels: FallbackChannels
    let circuits: CircuitBoard
    let state: Locked<WorkerState>
    /// Wakes the claim loop: work may be ready, a slot freed, or shutdown.
    let claimBell = Doorbell()
    /// Wakes the writer of outcomes.
    let flushBell = Doorbell()
    /// Wakes the fan-out of bulk batches (`Worker+FanOut`).
    let fanOutBell = Doorbell()

    struct WorkerState {
        var book: LeaseBook<Store.ClaimedNotification>
        var outcomes: [Store.QueueOutcome] = []
        var activeWrites = 0
        var writeFailures = 0
        var metrics = WorkerMetrics()
        var stopping = false
        var started = false
    }

    /// - Parameters:
    ///   - providers: the provider for a channel's provider name, nil when
    ///     Herald cannot send through it (the notification then fails).
    ///   - builtInTemplates: the fallback for tenants without a template of
    ///     the wanted name; nil loads `TemplateLibrary.defaultDirectory()`.
    public init(configuration: WorkerConfiguration = WorkerConfiguration(), store: Store,
                providers: @escaping @Sendable (String) -> (any NotificationProvider)?, logger: Logger,
                builtInTemplates: [Rendering.TemplateSeed]? = nil,
                attemptObserver: (@Sendable (String, String, Double) -> Void)? = nil) {
        self.configuration = configuration
        self.queue = store.queue(workerId: configuration.workerId, lease: configuration.lease,
                                 listenURL: configuration.listenDatabaseURL)
        self.providers = providers
        self.attemptObserver = attemptObserver
        self.logger = logger.with(("component", "worker"), ("worker", .string(configuration.workerId)))
        self.renderer = NotificationRenderer(store: store, library: builtInTemplates ?? Self.loadLibrary(logger))
        self.channels = ChannelResolver(store: store)
        self.fallbackChannels = FallbackChannels(store: store, ttl: configuration.fallbackCacheTTL)
        self.circuits = CircuitBoard(settings: configuration.circuit, queue: queue, logger: self.logger)
        self.state = Locked(WorkerState(book: LeaseBook(limits: Self.limits(configuration))))
    }

    static func limits(_ configuration: WorkerConfiguration) -> LeaseBook<Store.ClaimedNotification>.Limits {
        LeaseBook.Limits(concurrency: configuration.concurrency, maxInFlight: configuration.maxInFlight,
                         maxClaim: configuration.batchSize, lease: configuration.lease)
    }

    public var id: String { configuration.workerId }

    /// Counters so far, with the rows held right now.
    public var metrics: WorkerMetrics {
        state.withLock { state in
            var metrics = state.metrics
            metrics.inFlight = state.book.held
            return metrics
        }
    }

    /// Stops claiming; `run()` then finishes what is in flight (up to the
    /// shutdown timeout), releases the rest and returns. Safe to call twice.
    public func shutdown() {
        state.withLock { $0.stopping = true }
        claimBell.ring(.stop)
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// Runs until `shutdown()` (or until the calling task is cancelled).
    public func run() async {
        let first = state.withLock { state -> Bool in
            defer { state.started = true }
            return !state.started
        }
        precondition(first, "Worker.run() may be called only once")
        await withTaskCancellationHandler {
            await runUntilStopped()
        } onCancel: {
            shutdown()
        }
    }

    private func runUntilStopped() async {
        logger.info("worker started", ("concurrency", .int(configuration.concurrency)),
                    ("maxInFlight", .int(configuration.maxInFlight)), ("maxBatch", .int(configuration.batchSize)),
                    ("leaseSeconds", .int(Int(configuration.lease.seconds))))
        let listener = queue.makeWakeups(onDeaf: { [logger, state] advice in
            logger.warning("the LISTEN connection is deaf", ("advice", .string(advice)))
            state.withLock { $0.metrics.deafListener += 1 }
        })
        let wakeups = Task { [claimBell, fanOutBell] in
            // A reconnect means NOTIFYs may have been missed: look anyway.
            await listener.forEach { wakeup in
                if wakeup.contains(.queue) { claimBell.ring(.work) }
                if wakeup.contains(.batches) { fanOutBell.ring(.work) }
            }
        }
        do {
            try await listener.start()
        } catch {
            logger.warning("LISTEN failed: polling until the database is back", ("error", .string("\(error)")))
        }
        let maintenance = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.flushLoop() }
                group.addTask { await self.heartbeatLoop() }
                group.addTask { await self.rescueLoop() }
                group.addTask { await self.fanOutLoop() }
                if self.configuration.retentionDays > 0 { group.addTask { await self.retentionLoop() } }
            }
        }

        await claimLoop()
        // Shutdown runs in a task of its own: when `run()` was cancelled, its
        // waits and sleeps must still wait, not return at once.
        await Task {
            await self.stop(listener: listener, wakeups: wakeups, maintenance: maintenance)
        }.value
    }

    /// Hands back what never started, lets the sends in flight finish (up to
    /// the shutdown timeout), writes their outcomes and closes the listener.
    private func stop(listener: QueueWakeups, wakeups: Task<Void, Never>, maintenance: Task<Void, Never>) async {
        let unstarted = state.withLock { $0.book.close() }
        await release(unstarted)
        let stragglers = await drainSends()
        maintenance.cancel()
        fanOutBell.ring(.stop)
        await maintenance.value
        await flushRemaining()
        if stragglers > 0 {
            logger.warning("sends still running at the shutdown deadline: their rows go back to the queue when their leases expire",
                           ("count", .int(stragglers)))
        }
        await onOwnThread { listener.stop() }
        wakeups.cancel()
        let totals = metrics
        logger.info("worker stopped", ("sent", .int(totals.sent)), ("retried", .int(totals.retried)),
                    ("failed", .int(totals.failed)), ("rescued", .int(totals.rescued)), ("released", .int(totals.released)))
    }

    // MARK: - Claiming

    private func claimLoop() async {
        var mayHaveWork = true
        var outage = OutageLog(what: "claiming")
        while !isStopping {
            let size = state.withLock { $0.book.claimSize(now: .now) }
            if size > 0 && mayHaveWork {
                do {
                    // The lease runs from no earlier than the claim was sent.
                    let leasedAt = ContinuousClock.now
                    let rows = try await queue.claim(limit: size)
                    outage.succeeded(logger)
                    // A short batch means the queue is drained for now.
                    if rows.count < size { mayHaveWork = false }
                    accept(rows, requested: size, leasedAt: leasedAt)
                } catch {
                    outage.failed(error, logger)
                    _ = await claimBell.wait(timeout: outage.retryDelay)
                }
                continue
            }
            let reasons = await claimBell.wait(timeout: configuration.pollInterval)
            if reasons.isEmpty || reasons.contains(.work) { mayHaveWork = true }
        }
    }

    private func accept(_ rows: [Store.ClaimedNotification], requested: Int, leasedAt: ContinuousClock.Instant) {
        let start = state.withLock { state in
            state.book.claimed(requested: requested, rows.map { (id: $0.id, payload: $0) }, leasedAt: leasedAt)
            state.metrics.claimed += rows.count
            return state.book.startable(now: .now)
        }
        startSends(start)
    }

    func startSends(_ items: [(id: String, payload: Store.ClaimedNotification)]) {
        for item in items { Task { await self.sendLoop(item.payload) } }
    }

    /// One send slot: sends `first`, then whatever is waiting, until nothing is.
    private func sendLoop(_ first: Store.ClaimedNotification) async {
        var next: Store.ClaimedNotification? = first
        while let row = next {
            let start = ContinuousClock.now
            let outcome = await attempt(row)
            let end = ContinuousClock.now
            let (more, wakeWriter, roomToClaim) = state.withLock { state in
                state.book.finished(row.id, took: end - start)
                state.outcomes.append(outcome)
                // The writer needs a ring only when this outcome is the first
                // one waiting and a write slot is free; otherwise it is busy
                // writing and takes this outcome with the next batch (a write
                // ending rings it). One ring per outcome woke it per send.
                let wakeWriter = state.outcomes.count == 1 && state.activeWrites < Self.writers
                return (state.book.startable(now: end), wakeWriter, state.book.claimSize(now: end) > 0)
            }
            if wakeWriter { flushBell.ring(.work) }
            if roomToClaim { claimBell.ring(.capacity) }
            next = more.first?.payload
            startSends(Array(more.dropFirst()))
        }
    }

    // MARK: - Shutdown

    /// Waits for running sends up to the shutdown timeout; answers how many are left.
    private func drainSends() async -> Int {
        let deadline = ContinuousClock.now + configuration.shutdownTimeout
        while true {
            let sending = state.withLock { $0.book.sending }
            if sending == 0 || ContinuousClock.now >= deadline { return sending }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func release(_ ids: [String]) async {
        guard !ids.isEmpty else { return }
        do {
            let count = try await queue.release(ids)
            state.withLock { $0.metrics.released += count }
            logger.info("released unstarted notifications", ("count", .int(count)))
        } catch {
            logger.warning("could not release unstarted notifications: they return when their leases expire",
                           ("count", .int(ids.count)), ("error", .string("\(error)")))
        }
    }


    static func loadLibrary(_ logger: Logger) -> [Rendering.TemplateSeed] {
        guard let directory = TemplateLibrary.defaultDirectory() else {
            logger.warning("no built-in templates found (set HERALD_TEMPLATES_DIR): rows naming a template the tenant lacks will fail")
            return []
        }
        do {
            return try TemplateLibrary.load(directory: directory)
        } catch {
            logger.error("cannot load the built-in templates", ("directory", .string(directory)),
                         ("error", .string(error.description)))
            return []
        }
    }
}
