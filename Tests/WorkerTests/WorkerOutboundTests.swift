import Delivery
import Foundation
import HeraldTestSupport
import JSON
import Store
import Testing
import Worker

/// The worker sends through a tenant's channel only where the operator's
/// outbound policy allows, and only with settings that pass the rules the
/// API saves channels by (issue 11). Real providers, a real SMTP peer.
@Suite struct WorkerOutboundTests {
    static let email = #"{"subject":"Hello","html":"<p>Hi</p>","text":"Hi"}"#

    /// The providers `herald worker` builds, with `outbound` as HERALD_OUTBOUND_ALLOW says.
    func providers(_ outbound: OutboundPolicy) -> [String: any NotificationProvider] {
        let registry = ProviderRegistry(smtpPool: SMTPConnectionPool(), outbound: outbound)
        return Dictionary(uniqueKeysWithValues: ProviderRegistry.providerNames.compactMap { name in
            registry.provider(named: name).map { (name, $0) }
        })
    }

    func smtpChannel(_ fixture: QueueFixture, key: String, settings: JSONObject) async throws -> String {
        let json = try await fixture.store.createChannel(tenantId: fixture.tenantId, Store.NewChannel(
            name: key, key: key, description: nil, type: "email", provider: "email_pxyz", settings: settings))
        return try #require(try JSONParser.parse(json)["id"]?.stringValue)
    }

    @Test func aLoopbackServerIsRefusedUntilTheOperatorAllowsLoopback() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let smtp = try await TestSMTPServer.start()
        defer { smtp.stop() }
        let settings: JSONObject = ["host": "127.0.0.1", "port": .int(Int64(smtp.port)), "security": "none",
                                    "from": "noreply@herald.test"]
        let literal = try await smtpChannel(fixture, key: "literal", settings: settings)
        let named = try await smtpChannel(fixture, key: "named", settings: settings.merging(["host": "localhost"]))
        let refused = try await fixture.insert(1, type: "email", channelId: literal, rendered: Self.email,
                                               to: #"["a@example.com"]"#)[0]
        let refusedByName = try await fixture.insert(1, type: "email", channelId: named, rendered: Self.email,
                                                     to: #"["a@example.com"]"#)[0]

        try await withRunningWorker(fixture.worker(providers: providers(OutboundPolicy()))) {
            try await waitUntil("both fail", timeout: .seconds(60)) { try await fixture.statusCounts() == ["failed": 2] }
        }
        for id in [refused, refusedByName] {
            let row = try await fixture.row(id)
            #expect(try row.decode("attempts", as: Int.self) == 1, "a refused target is not retried")
            let error = try row.decode("last_error", as: String.self)
            #expect(error.contains("refusing to connect") && error.contains("HERALD_OUTBOUND_ALLOW"), "\(error)")
        }
        #expect(smtp.messageCount() == 0)

        // With loopback allowed, the same channel sends.
        let allowed = try await fixture.insert(1, type: "email", channelId: named, rendered: Self.email,
                                               to: #"["a@example.com"]"#)[0]
        try await withRunningWorker(fixture.worker(providers: providers(.loopback))) {
            try await waitUntil("sent", timeout: .seconds(60)) { try await fixture.status(allowed) == "sent" }
        }
        #expect(smtp.messageCount() == 1)
    }

    /// A channel stored without the API's checks (before them, or by hand)
    /// meets the same rules when it is used: a permanent failure, no send.
    @Test func settingsTheAPIWouldRefuseFailAtSendTime() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let smtp = try await TestSMTPServer.start()
        defer { smtp.stop() }
        let base: JSONObject = ["host": "127.0.0.1", "port": .int(Int64(smtp.port)), "security": "none", "from": "noreply@herald.test"]
        var ids: [String] = []
        for (index, bad) in [["fromName": "Herald\r\nBcc: victim@example.com"], ["caFile": "/etc/shadow"],
                             ["host": "169.254.169.254"], ["from": "not an address"]].enumerated() {
            let channel = try await smtpChannel(fixture, key: "bad-\(index)", settings: base.merging(JSONObject(bad.map { ($0.key, .string($0.value)) })))
            ids.append(try await fixture.insert(1, type: "email", channelId: channel, rendered: Self.email, to: #"["a@example.com"]"#)[0])
        }
        try await withRunningWorker(fixture.worker(providers: providers(.loopback))) {
            try await waitUntil("all fail", timeout: .seconds(60)) { try await fixture.statusCounts() == ["failed": 4] }
        }
        let expected = ["providerSettings.fromName", "providerSettings.caFile", "providerSettings.host", "providerSettings.from"]
        for (id, field) in zip(ids, expected) {
            let error = try await fixture.row(id).decode("last_error", as: String.self)
            #expect(error.contains("invalid settings") && error.contains(field), "\(error)")
        }
        #expect(smtp.messageCount() == 0)
    }
}

extension JSONObject {
    func merging(_ other: JSONObject) -> JSONObject {
        var copy = self
        for (key, value) in other { copy[key] = value }
        return copy
    }
}
