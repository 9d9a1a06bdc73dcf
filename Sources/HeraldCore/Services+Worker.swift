import Delivery
import Foundation
import HTTP
import Metrics
import Worker

extension Services {
    /// A worker whose attempts and counters feed this process's /metrics.
    public func makeWorker(configuration: WorkerConfiguration,
                    providers: @escaping @Sendable (String) -> (any NotificationProvider)?) -> Worker {
        var configuration = configuration
        if configuration.listenDatabaseURL == nil { configuration.listenDatabaseURL = listenURL }
        let metrics = self.metrics
        metrics.register("herald_notifications_sent_total", .counter,
                         help: "Delivery attempts by provider and outcome (sent, retry, failed)", labels: ["provider", "outcome"])
        metrics.register("herald_delivery_attempt_duration_seconds", .histogram,
                         help: "Time a delivery attempt took, by provider", labels: ["provider"])
        metrics.register("herald_worker_events_total", .counter,
                         help: "Worker counters since start: claimed, rescued (expired leases taken over), released, lease_lost, fanned_out (notifications written from accepted bulk batches)",
                         labels: ["event"])
        metrics.register("herald_worker_in_flight", .gauge, help: "Notifications a worker holds right now")
        metrics.register("herald_worker_deaf_listener_total", .counter,
                         help: "Times the LISTEN connection missed its own ping and reconnected (see HERALD_LISTEN_DATABASE_URL)")
        metrics.register("herald_worker_late_outcomes_total", .counter,
                         help: "Sends recorded after their lease had passed to another worker, and those delivered twice",
                         labels: ["kind"])
        metrics.register("herald_worker_failover_total", .counter,
                         help: "Failover: attempts moved to a fallback channel (failover), channels skipped with an open circuit (circuit_skip), rows put back untried with their whole chain open (postponed), circuits opened (circuit_opened)",
                         labels: ["event"])
        let worker = Worker(configuration: configuration, store: store, providers: providers, logger: logger,
                            builtInTemplates: builtInLibrary,
                            attemptObserver: { provider, outcome, seconds in
                                metrics.increment("herald_notifications_sent_total", [provider, outcome])
                                metrics.observe("herald_delivery_attempt_duration_seconds", [provider], seconds)
                            })
        metrics.collect {
            let counters = worker.metrics
            return [("claimed", counters.claimed), ("rescued", counters.rescued), ("released", counters.released),
                    ("lease_lost", counters.leaseLost), ("fanned_out", counters.fannedOut)].map { ("herald_worker_events_total", ["event": $0.0], Double($0.1)) }
                + [("herald_worker_in_flight", [:], Double(counters.inFlight)),
                   ("herald_worker_late_outcomes_total", ["kind": "late"], Double(counters.lateOutcomes)),
                   ("herald_worker_deaf_listener_total", [:], Double(counters.deafListener)),
                   ("herald_worker_late_outcomes_total", ["kind": "duplicate"], Double(counters.duplicates))]
                + [("failover", counters.failovers), ("circuit_skip", counters.circuitSkips), ("postponed", counters.postponed),
                   ("circuit_opened", counters.circuitsOpened)].map { ("herald_worker_failover_total", ["event": $0.0], Double($0.1)) }
        }
        return worker
    }

    /// Webhook header values saved in clear before they were secrets are
    /// sealed now, so responses mask them and the table no longer holds them.
    /// A failure is logged, not thrown: the worker still starts.
    public func sealLegacyChannelSecrets() async {
        do {
            let sealed = try await store.sealChannelHeaderValues()
            if sealed > 0 { logger.info("sealed the header values of older webhook channels", ("channels", .int(sealed))) }
        } catch {
            logger.warning("cannot seal the header values of older webhook channels", ("error", .string(String(describing: error))))
        }
    }

    /// `herald worker` has no API: with HERALD_WORKER_METRICS_PORT it serves
    /// /metrics and /healthz on that port for Prometheus and probes.
    public func startMetricsServer(port: Int) throws -> HTTPServer {
        let metrics = self.metrics
        var router = Router()
        router.get("/metrics") { _, _ in
            HTTPResponse.bytes(Array(await metrics.render().utf8), contentType: "text/plain; version=0.0.4")
        }
        router.get("/healthz") { _, _ in HTTPResponse.json(Array(#"{"status":"ok"}"#.utf8)) }
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: configuration.host, port: port), responder: router)
        try server.start()
        return server
    }
}
