import Delivery
import Foundation
import JSON
import Postgres
import Rendering
import Store
import Testing
import Worker

/// A running worker against a real database with recording providers:
/// outcomes and their attempts, rendering, channel resolution, scheduling.
@Suite struct WorkerDeliveryTests {
    /// The repository's built-in templates (the worker's fallback).
    static let library: [Rendering.TemplateSeed] = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return (try? TemplateLibrary.load(directory: url.appendingPathComponent("templates").path)) ?? []
    }()

    @Test func sendsRetriesTransientFailuresAndFailsPermanentOnes() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let ids = try await fixture.insert(4)
        let limited = try await fixture.insert(1, maxAttempts: 2)
        let provider = RecordingProvider { message, call in
            switch message.notificationId {
            case ids[1] where call == 1: throw DeliveryError(.transient, "451 4.3.0 try again later", replyCode: 451)
            case ids[2]: throw DeliveryError(.permanent, "550 5.1.1 no such user", replyCode: 550)
            case limited[0]: throw DeliveryError(.timeout, "read timed out")
            default: break
            }
        }
        let worker = fixture.worker(providers: ["inapp_pxyz": provider])
        try await withRunningWorker(worker) {
            try await waitUntil("every row finished") {
                try await fixture.statusCounts() == ["sent": 3, "failed": 2]
            }
        }
        #expect(try await fixture.attempts(ids[0]).map(\.outcome) == ["sent"])
        let retried = try await fixture.attempts(ids[1])
        #expect(retried.map(\.outcome) == ["retry", "sent"])
        #expect(retried[0].error?.contains("451") == true)
        let failed = try await fixture.row(ids[2])
        #expect(try failed.decode("attempts", as: Int.self) == 1, "a permanent failure is not retried")
        #expect(try failed.decode("last_error", as: String.self).contains("550"))
        let exhausted = try await fixture.row(limited[0])
        #expect(try exhausted.decode("attempts", as: Int.self) == 2)
        #expect(try exhausted.decode("last_error", as: String.self).hasPrefix("gave up after 2 attempts"))
        let sent = try await fixture.row(ids[1])
        #expect(try sent.decode("provider_message_id", as: String.self) == "pm-" + ids[1])
        #expect(try sent.optional("sent_at", as: Date.self) != nil)
        let metrics = worker.metrics
        #expect(metrics.sent == 3 && metrics.failed == 2 && metrics.retried == 2 && metrics.inFlight == 0)
        #expect(provider.delivered.values.allSatisfy { $0 == 1 })
    }

    @Test func rendersRowsQueuedWithoutContent() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        _ = try await fixture.store.createTemplate(tenantId: fixture.tenantId, Store.TemplateSeed(
            name: "footer", type: "email", subject: nil, body: #"{"html":"<p>Bye {{name}}</p>","text":"Bye {{name}}"}"#))
        _ = try await fixture.store.createTemplate(tenantId: fixture.tenantId, Store.TemplateSeed(
            name: "hello", type: "email", subject: "Hi {{name}}", body: #"{"html":"<p>Hi {{name}}</p>{{> footer}}"}"#))
        let to = #"{"to":["ada@example.com"],"cc":["bob@example.com"]}"#
        let own = try await fixture.insert(1, type: "email", rendered: nil, to: to, templateName: "hello",
                                           variables: #"{"name":"Ada"}"#)[0]
        // The tenant has no copy of the built-in: the library's file is used, with its layout partial.
        let builtIn = try await fixture.insert(1, type: "email", rendered: nil, to: to, templateName: "verification-code",
                                               variables: #"{"code":"123456","tenant":{"name":"Acme"},"expiresInMinutes":10}"#)[0]
        let sms = try await fixture.insert(1, type: "sms", rendered: nil, to: #"["+15551234567"]"#,
                                           templateName: "verification-code", variables: #"{"code":"654321","tenant":{"name":"Acme"}}"#)[0]
        let missing = try await fixture.insert(1, type: "email", rendered: nil, templateName: "no-such-template")[0]

        let email = RecordingProvider(), text = RecordingProvider()
        let worker = fixture.worker(providers: ["email_pxyz": email, "sms_pxyz": text], library: Self.library)
        try await withRunningWorker(worker) {
            try await waitUntil("renders") { try await fixture.statusCounts() == ["sent": 3, "failed": 1] }
        }
        let hello = try #require(email.message(own))
        #expect(hello.subject == "Hi Ada")
        #expect(hello.html?.contains("<p>Hi Ada</p><p>Bye Ada</p>") == true, "\(hello.html ?? "")")
        #expect(hello.text?.contains("Hi Ada") == true, "the text part is derived from the HTML")
        #expect(hello.to == ["ada@example.com"] && hello.cc == ["bob@example.com"])
        // The rendering is kept on the row: the log shows what went out, a retry sends the same.
        let stored = try await fixture.row(own)
        #expect(try stored.decode("rendered", as: String.self).contains("Hi Ada"))

        let code = try #require(email.message(builtIn))
        #expect(code.subject?.contains("123456") == true)
        #expect(code.html?.contains("<html") == true, "the layout partial came from the library")
        #expect(text.message(sms)?.text?.hasPrefix("654321 is your Acme verification code") == true)
        #expect(try await fixture.row(missing).decode("last_error", as: String.self).contains("no email template"))
    }

    @Test func resolvesTheChannelFromTheRowThenAuthSettingsThenTheDefault() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let postmark = try await fixture.store.createChannel(tenantId: fixture.tenantId, Store.NewChannel(
            name: "Postmark", key: "postmark", description: nil, type: "email", provider: "email_postmark",
            settings: ["serverToken": "secret-token", "from": "a@example.com"]))
        let postmarkId = try #require(try JSONParser.parse(postmark)["id"]?.stringValue)
        let disabled = try await fixture.store.createChannel(tenantId: fixture.tenantId, Store.NewChannel(
            name: "Off", key: "off", description: nil, type: "email", provider: "email_postmark", settings: [:], enabled: false))
        let disabledId = try #require(try JSONParser.parse(disabled)["id"]?.stringValue)
        let email = #"{"subject":"s","html":"<p>h</p>","text":"h"}"#

        // Another tenant set no AuthSettings channel: the default provider for the type.
        let viaDefault = try await fixture.insert(1, tenantId: try await fixture.makeTenant(), type: "email", rendered: email)[0]
        try await fixture.pool.withConnection { connection in
            _ = try connection.query("INSERT INTO tenant_auth_settings (id, tenant_id, email_channel_id) VALUES ($1, $2, $3)",
                                     ["as-" + fixture.tenantId, fixture.tenantId, postmarkId])
        }
        let viaAuthSettings = try await fixture.insert(1, type: "email", rendered: email)[0]
        let viaOwn = try await fixture.insert(1, type: "email", channelId: postmarkId, rendered: email)[0]
        let viaDisabled = try await fixture.insert(1, type: "email", channelId: disabledId, rendered: email)[0]
        let noChannel = try await fixture.insert(1, type: "webhook", rendered: #"{"json":{}}"#)[0]

        let smtp = RecordingProvider(), api = RecordingProvider()
        let worker = fixture.worker(providers: ["email_pxyz": smtp, "email_postmark": api])
        try await withRunningWorker(worker) {
            try await waitUntil("sends") { try await fixture.statusCounts() == ["sent": 3, "failed": 2] }
        }
        #expect(Set(api.delivered.keys) == [viaAuthSettings, viaOwn])
        #expect(Set(smtp.delivered.keys) == [viaDefault])
        #expect(try await fixture.row(viaDisabled).decode("last_error", as: String.self).contains("disabled"))
        #expect(try await fixture.row(noChannel).decode("last_error", as: String.self).contains("no channel"))
    }

    @Test func scheduledRowsWaitAndCancelledRowsAreNeverSent() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        // Taken before the insert, so `due` is never later than the rows' run_at.
        let due = ContinuousClock.now + .seconds(2)
        let scheduled = try await fixture.insert(3, runAtOffsetSeconds: 2)
        let cancelled = try await fixture.insert(3, status: "cancelled")
        let now = try await fixture.insert(2)
        let provider = RecordingProvider()
        let worker = fixture.worker(providers: ["inapp_pxyz": provider])
        try await withRunningWorker(worker) {
            try await waitUntil("the ready rows") { provider.deliveredCount == 2 }
            // Due later, with no NOTIFY: the poll finds them.
            try await waitUntil("the scheduled rows", timeout: .seconds(10)) { provider.deliveredCount == 5 }
        }
        // Not before their time, however slowly the machine ran meanwhile.
        for id in scheduled {
            let called = try #require(provider.firstCallTime(id))
            #expect(called >= due, "sent \(due - called) early")
        }
        #expect(Set(provider.delivered.keys) == Set(scheduled + now))
        for id in cancelled { #expect(try await fixture.status(id) == "cancelled") }
    }

    /// Enqueue → NOTIFY → claim → provider on an idle worker: milliseconds, not the poll.
    @Test func anIdleWorkerWakesOnNotify() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let provider = RecordingProvider()
        var configuration = WorkerConfiguration.forTests()
        configuration.pollInterval = .seconds(30)
        let worker = fixture.worker(configuration, providers: ["inapp_pxyz": provider])
        try await withRunningWorker(worker) {
            try await Task.sleep(for: .milliseconds(300)) // LISTEN is up, the first claim found nothing
            var latencies: [Duration] = []
            for _ in 0..<10 {
                let start = ContinuousClock.now
                let id = try await fixture.store.enqueue(Store.NewNotification(
                    tenantId: fixture.tenantId, templateId: nil, templateName: nil, channelId: nil, type: .inapp,
                    to: ["user-1"], locale: "en", variables: [:], rendered: ["text": "hi"], priority: .interactive))
                try await waitUntil("dispatch", timeout: .seconds(5)) { provider.firstCallTime(id) != nil }
                latencies.append(provider.firstCallTime(id)! - start)
            }
            // With a 30 s poll, dispatch within seconds proves the NOTIFY wake-up;
            // the latency itself is measured by `herald bench queue`, not here.
            let median = latencies.sorted()[latencies.count / 2]
            #expect(median < .seconds(3), "\(latencies)")
        }
    }
}
