import Delivery
import Foundation
import HTTP
import HeraldTestSupport
import JSON
import Postgres
import Store
import Testing
import Worker

/// Failover and circuit breakers (issue 14) with real peers on loopback:
/// aiosmtpd as the healthy relay, a closed port, a relay answering 421, HTTP
/// providers answering 503. Backoffs are configured long, so a message that
/// arrives promptly went over at once, not after a backoff.
@Suite struct WorkerFailoverTests {
    static let email = #"{"subject":"Code","html":"<p>123456</p>","text":"123456"}"#

    func providers() -> [String: any NotificationProvider] {
        let registry = ProviderRegistry(smtpPool: SMTPConnectionPool(), outbound: .loopback)
        return Dictionary(uniqueKeysWithValues: ProviderRegistry.providerNames.compactMap { name in
            registry.provider(named: name).map { (name, $0) }
        })
    }

    /// A worker whose backoff would hold a retry for a minute, with `circuit`.
    func configuration(circuit: CircuitBreaker.Settings = CircuitBreaker.Settings(failures: 100),
                       backoff: BackoffPolicy = BackoffPolicy(base: .seconds(60), multiplier: 2, maximum: .seconds(60)),
                       concurrency: Int = 8) -> WorkerConfiguration {
        var configuration = WorkerConfiguration.forTests(concurrency: concurrency)
        configuration.backoff = backoff
        configuration.circuit = circuit
        return configuration
    }

    func channel(_ fixture: QueueFixture, _ key: String, provider: String = "email_pxyz", settings: JSONObject,
                 fallbacks: [String] = []) async throws -> String {
        var settings = settings
        if !fallbacks.isEmpty { settings["fallbackChannelIds"] = .array(fallbacks.map { .string($0) }) }
        let json = try await fixture.store.createChannel(tenantId: fixture.tenantId, Store.NewChannel(
            name: key, key: key, description: nil, type: "email", provider: provider, settings: settings))
        return try #require(try JSONParser.parse(json)["id"]?.stringValue)
    }

    func smtp(port: Int) -> JSONObject {
        ["host": "127.0.0.1", "port": .int(Int64(port)), "security": "none", "from": "codes@herald.test"]
    }

    /// A port nothing listens on: connections to it are refused.
    func closedPort() throws -> Int {
        let peer = try FlakySMTPPeer(.busy)
        peer.stop()
        return peer.port
    }

    func attempts(_ fixture: QueueFixture, _ id: String) async throws -> [(outcome: String, channelId: String?, provider: String?, error: String?)] {
        try await fixture.pool.withConnection {
            try $0.query("SELECT outcome, channel_id, provider, error FROM notification_attempts WHERE notification_id = $1 ORDER BY attempt",
                         [id]).map { (try $0.decode(0), try $0.optional(1), try $0.optional(2), try $0.optional(3)) }
        }
    }

    /// Each notification's id in the healthy server's mail, once each.
    func deliveredOnce(_ server: TestSMTPServer, _ ids: [String]) throws -> Bool {
        let seen = try server.messages().compactMap { $0.header("X-Herald-Notification") }
        return seen.sorted() == ids.sorted()
    }

    @Test func refusedConnectionsFailOverToTheHealthyRelayAtOnce() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let healthy = try await TestSMTPServer.start()
        defer { healthy.stop() }
        let backup = try await channel(fixture, "backup", settings: smtp(port: healthy.port))
        let primary = try await channel(fixture, "primary", settings: smtp(port: try closedPort()), fallbacks: [backup])
        let ids = try await fixture.insert(4, type: "email", channelId: primary, rendered: Self.email, to: #"["a@example.com"]"#)

        let worker = fixture.worker(configuration(), providers: providers())
        try await withRunningWorker(worker) {
            try await waitUntil("all sent", timeout: .seconds(20)) { try await fixture.count(status: "sent") == 4 }
        }
        #expect(try deliveredOnce(healthy, ids))
        for id in ids {
            // (On a starved machine a lease may expire meanwhile: the rescue's row names no channel.)
            let rows = try await attempts(fixture, id).filter { $0.channelId != nil }
            #expect(rows.map(\.outcome) == ["retry", "sent"], "\(rows)")
            #expect(rows.map(\.channelId) == [primary, backup], "\(rows)")
            #expect(rows.allSatisfy { $0.provider == "email_pxyz" })
        }
        #expect(worker.metrics.failovers >= 4)
        // The notification's API answer names each attempt's channel and provider.
        let json = try #require(try await fixture.store.notificationJSON(id: ids[0], tenantId: fixture.tenantId))
        let shown = (try JSONParser.parse(json)["deliveryAttempts"]?.arrayValue ?? []).filter { $0["channelId"]?.stringValue != nil }
        #expect(shown.map { $0["channelId"]?.stringValue } == [primary, backup])
        #expect(shown.map { $0["provider"]?.stringValue } == ["email_pxyz", "email_pxyz"])
    }

    @Test func http503FailsOverToTheNextProvider() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let calls = CallCounts()
        var down = Router()
        down.post("/email") { _, _ in
            calls.add("down")
            return HTTPResponse.json(Array(#"{"ErrorCode":500,"Message":"unavailable"}"#.utf8), status: 503)
        }
        var up = Router()
        up.post("/email") { _, _ in
            calls.add("up")
            return HTTPResponse.json(Array(#"{"ErrorCode":0,"Message":"OK","MessageID":"pm-1"}"#.utf8))
        }
        try await TestHTTPServer.with(responder: down) { downServer in
            try await TestHTTPServer.with(responder: up) { upServer in
                func postmark(_ port: Int) -> JSONObject {
                    ["serverToken": "token", "from": "codes@herald.test", "baseUrl": .string("http://127.0.0.1:\(port)")]
                }
                let second = try await channel(fixture, "pm-up", provider: "email_postmark", settings: postmark(upServer.localPort))
                let first = try await channel(fixture, "pm-down", provider: "email_postmark", settings: postmark(downServer.localPort),
                                              fallbacks: [second])
                let ids = try await fixture.insert(3, type: "email", channelId: first, rendered: Self.email,
                                                   to: #"["a@example.com"]"#)
                try await withRunningWorker(fixture.worker(configuration(), providers: providers())) {
                    try await waitUntil("all sent", timeout: .seconds(20)) { try await fixture.count(status: "sent") == 3 }
                }
                #expect(calls.all == ["down": 3, "up": 3])
                for id in ids {
                    #expect(try await attempts(fixture, id).compactMap(\.channelId) == [first, second])
                }
            }
        }
    }

    @Test func aRecipientRefusedWithA550DoesNotFailOver() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let refusing = try await TestSMTPServer.start(options: ["--rcpt-script", "550"])
        defer { refusing.stop() }
        let healthy = try await TestSMTPServer.start()
        defer { healthy.stop() }
        let backup = try await channel(fixture, "backup", settings: smtp(port: healthy.port))
        let primary = try await channel(fixture, "primary", settings: smtp(port: refusing.port), fallbacks: [backup])
        let id = try await fixture.insert(1, type: "email", channelId: primary, rendered: Self.email, to: #"["gone@example.com"]"#)[0]
        try await withRunningWorker(fixture.worker(configuration(), providers: providers())) {
            try await waitUntil("failed", timeout: .seconds(20)) { try await fixture.status(id) == "failed" }
        }
        #expect(try await attempts(fixture, id).compactMap(\.channelId) == [primary])
        #expect(healthy.messageCount() == 0, "the recipient, not the provider, was the problem")
    }

    @Test func aMessageLostAfterTheFinalDotIsRetriedOnItsOwnChannel() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let dropping = try FlakySMTPPeer(.dropAfterData(drops: 1))
        defer { dropping.stop() }
        let healthy = try await TestSMTPServer.start()
        defer { healthy.stop() }
        let backup = try await channel(fixture, "backup", settings: smtp(port: healthy.port))
        let primary = try await channel(fixture, "primary", settings: smtp(port: dropping.port), fallbacks: [backup])
        let id = try await fixture.insert(1, type: "email", channelId: primary, rendered: Self.email, to: #"["a@example.com"]"#)[0]
        let fast = BackoffPolicy(base: .milliseconds(20), multiplier: 2, maximum: .milliseconds(100))
        try await withRunningWorker(fixture.worker(configuration(backoff: fast), providers: providers())) {
            try await waitUntil("sent", timeout: .seconds(20)) { try await fixture.status(id) == "sent" }
        }
        #expect(try await attempts(fixture, id).compactMap(\.channelId) == [primary, primary])
        #expect(healthy.messageCount() == 0, "never handed to a second provider")
        #expect(dropping.messagesAccepted == 1)
    }

    /// Whether the channel's circuit, as recorded, still waits for its probe.
    func stillOpen(_ fixture: QueueFixture, _ channelId: String) async throws -> Bool {
        try await fixture.pool.withConnection {
            try $0.query("SELECT state = 'open' AND retry_at > now() FROM channel_circuits WHERE channel_id = $1",
                         [channelId]).first?.decode(0, as: Bool.self) ?? false
        }
    }

    @Test func aCircuitOpensAfterNFailuresAndProbesOnceAfterTheCooldown() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let busy = try FlakySMTPPeer(.busy)
        defer { busy.stop() }
        let healthy = try await TestSMTPServer.start()
        defer { healthy.stop() }
        let backup = try await channel(fixture, "backup", settings: smtp(port: healthy.port))
        let primary = try await channel(fixture, "primary", settings: smtp(port: busy.port), fallbacks: [backup])
        let circuit = CircuitBreaker.Settings(failures: 2, window: .seconds(30), cooldown: .seconds(3))
        let worker = fixture.worker(configuration(circuit: circuit), providers: providers())
        try await withRunningWorker(worker) {
            // One at a time, so no send is under way when the circuit opens.
            var sent: [String] = []
            for _ in 0..<2 {
                sent += try await fixture.insert(1, type: "email", channelId: primary, rendered: Self.email, to: #"["a@example.com"]"#)
                try await waitUntil("sent", timeout: .seconds(20)) { try await fixture.count(status: "sent") == sent.count }
            }
            #expect(busy.connectionCount == 2)
            let state = try await fixture.pool.withConnection {
                try $0.query("SELECT state, failures FROM channel_circuits WHERE channel_id = $1", [primary]).first
                    .map { (try $0.decode(0, as: String.self), try $0.decode(1, as: Int.self)) }
            }
            #expect(state?.0 == "open" && state?.1 == 2, "\(String(describing: state))")

            // Open: the next ones go straight to the backup, the relay sees no connection.
            sent += try await fixture.insert(4, type: "email", channelId: primary, rendered: Self.email, to: #"["b@example.com"]"#)
            try await waitUntil("sent while open", timeout: .seconds(20)) { try await fixture.count(status: "sent") == sent.count }
            if try await stillOpen(fixture, primary) {
                #expect(busy.connectionCount == 2, "no connection while the circuit is open")
            } else {
                #expect(busy.connectionCount <= 3, "at most the one probe of a passed cool-down")
            }
            #expect(try deliveredOnce(healthy, sent))

            // After the cool-down one message probes the relay (421 again); the others skip it.
            try await waitUntil("the cool-down", timeout: .seconds(10)) { try await !stillOpen(fixture, primary) }
            let before = busy.connectionCount
            sent += try await fixture.insert(3, type: "email", channelId: primary, rendered: Self.email, to: #"["c@example.com"]"#)
            try await waitUntil("sent after the probe", timeout: .seconds(20)) { try await fixture.count(status: "sent") == sent.count }
            if try await stillOpen(fixture, primary) {
                #expect(busy.connectionCount == before + 1, "one probe")
            }
            #expect(try deliveredOnce(healthy, sent))
        }
        #expect(worker.metrics.circuitsOpened >= 2)
        #expect(worker.metrics.circuitSkips >= 4)
    }

    @Test func aRowWhoseWholeChainIsOpenWaitsWithoutSpendingAttempts() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let busy = try FlakySMTPPeer(.busy)
        defer { busy.stop() }
        let primary = try await channel(fixture, "only", settings: smtp(port: busy.port))
        // A cool-down no starved test machine outlasts: the probe itself is the test above's.
        let circuit = CircuitBreaker.Settings(failures: 1, window: .seconds(30), cooldown: .seconds(60))
        let worker = fixture.worker(configuration(circuit: circuit), providers: providers())
        try await withRunningWorker(worker) {
            let opener = try await fixture.insert(1, type: "email", channelId: primary, rendered: Self.email, to: #"["a@example.com"]"#)[0]
            try await waitUntil("the circuit opens", timeout: .seconds(10)) { try await fixture.attempts(opener).count == 1 }
            let waiting = try await fixture.insert(1, type: "email", channelId: primary, rendered: Self.email, to: #"["b@example.com"]"#)[0]
            try await waitUntil("postponed", timeout: .seconds(10)) { worker.metrics.postponed >= 1 }
            if try await stillOpen(fixture, primary) {
                #expect(try await fixture.attempts(waiting).isEmpty, "no attempt while the circuit is open")
                let row = try await fixture.row(waiting)
                #expect(try row.decode("claims", as: Int.self) == 0 && row.decode("status", as: String.self) == "queued")
                #expect(busy.connectionCount == 1)
            }
            let untilProbe = try await fixture.pool.withConnection {
                try $0.query("SELECT run_at > now() + interval '30 seconds' FROM notification_queue WHERE id = $1", [waiting])[0]
                    .decode(0, as: Bool.self)
            }
            #expect(untilProbe, "it waits for the probe time, about a minute away")
        }
    }
}

/// Requests per peer, counted from the peers' handler tasks.
final class CallCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    func add(_ name: String) { lock.withLock { counts[name, default: 0] += 1 } }
    var all: [String: Int] { lock.withLock { counts } }
}
