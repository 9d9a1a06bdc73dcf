import Basics
import Delivery
import Foundation
import Worker
import HeraldTestSupport
import JSON
import Testing

/// What operators rely on: /metrics after traffic, the served spec, and logs
/// that never carry secrets, codes or message bodies.
@Suite struct OperationsTests {
    @Test func metricsAfterTraffic() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "metrics@example.com")
            let tenant = try await api.tenant(owner: owner)
            #expect(try await api.call("GET", "/api/v0/tenants/\(tenant.id)/notifications/templates", tenant.keys).status == 200)
            #expect(try await api.call("GET", "/api/v0/notifications/templates/cmissing000000000000000000", tenant.keys).status == 404)
            let scrape = try await api.call("GET", "/metrics")
            #expect(scrape.status == 200)
            #expect(scrape.headers["content-type"]?.hasPrefix("text/plain") == true)
            let text = scrape.bodyString
            func value(_ prefix: String) -> Double? {
                text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            #expect(value(#"herald_http_requests_total{method="POST",route="/api/v0/tenants",status="200"}"#) == 1)
            #expect(value(#"herald_http_requests_total{method="GET",route="/api/v0/notifications/templates/:id",status="404"}"#) == 1)
            #expect(value(#"herald_http_request_duration_seconds_count{method="POST",route="/api/v0/tenants"}"#) == 1)
            #expect(value(#"herald_http_request_duration_seconds_bucket{method="POST",route="/api/v0/tenants",le="+Inf"}"#) == 1)
            #expect((value(#"herald_db_pool_connections{pool="main",state="total"}"#) ?? 0) >= 1)
            #expect(value(#"herald_queue_depth{status="queued",type="email"}"#) == 0)
            #expect(value("herald_queue_oldest_queued_age_seconds") == 0)
            #expect(text.contains("# TYPE herald_http_request_duration_seconds histogram"))
        }
    }

    @Test func workerFamiliesAfterSends() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "metrics-worker@example.com")
            let tenant = try await api.tenant(owner: owner)
            #expect(try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Inbox","key":"inbox","type":"inapp","provider":"inapp_pxyz","providerSettings":{}}
                """).status == 200)
            #expect(try await api.call("POST", "/api/v0/notifications/templates", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","type":"inapp","name":"ping","body":{"text":"ping"}}
                """).status == 200)
            for _ in 0..<3 {
                #expect(try await api.call("POST", "/api/v0/notifications/send", tenant.keys, json: """
                    {"tenantId":"\(tenant.id)","template":"ping","channel":"inbox","input":{"to":["u1"]}}
                    """).status == 200)
            }
            let worker = api.services.makeWorker(configuration: WorkerConfiguration(),
                                                 providers: { $0 == "inapp_pxyz" ? InAppProvider() : nil })
            let running = Task { await worker.run() }
            defer { worker.shutdown() }
            var sent = 0
            for _ in 0..<100 where sent < 3 {
                sent = try await api.pool.withConnection {
                    try $0.query("SELECT count(*) FROM notifications WHERE status = 'sent'")[0].decode(0, as: Int.self)
                }
                if sent < 3 { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(sent == 3)
            worker.shutdown()
            await running.value
            let text = try await api.call("GET", "/metrics").bodyString
            func value(_ prefix: String) -> Double? {
                text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            #expect(value(#"herald_notifications_sent_total{provider="inapp_pxyz",outcome="sent"}"#) == 3)
            #expect(value(#"herald_delivery_attempt_duration_seconds_count{provider="inapp_pxyz"}"#) == 3)
            #expect(value(#"herald_worker_events_total{event="claimed"}"#) == 3)
            #expect(value(#"herald_worker_events_total{event="rescued"}"#) == 0)
            #expect(value(#"herald_queue_depth{status="queued",type="inapp"}"#) == 0)
        }
    }

    @Test func servedSpecIsValidOpenAPI() async throws {
        try await APIHarness.with { api in
            let response = try await api.call("GET", "/openapi.json")
            #expect(response.status == 200)
            let document = try response.json()
            let paths = try #require(document["paths"]?.objectValue)
            #expect(paths["/notifications/templates/preview"] != nil)
            #expect(paths["/tenants"] != nil)
            let file = NSTemporaryDirectory() + "herald-openapi-\(getpid()).json"
            try Data(response.body).write(to: URL(fileURLWithPath: file))
            defer { try? FileManager.default.removeItem(atPath: file) }
            let check = try await TestHTTPClient.offload {
                try ChildProcess.run("/usr/bin/env", ["python3", "-c", """
                    import json, sys
                    from openapi_spec_validator import validate
                    validate(json.load(open(sys.argv[1])))
                    print("valid")
                    """, file])
            }
            #expect(check.0 == 0, "openapi-spec-validator: \(check.1)")
        }
    }

    @Test func logsCarryNoSecretsCodesOrBodies() async throws {
        let lines = LogCapture()
        let secrets = try await APIHarness.with(logLevel: .debug, logSink: { lines.append($0) }) { api -> [String] in
            let owner = try await api.token(email: "logs@example.com")
            let tenant = try await api.tenant(owner: owner)
            guard case .keys(_, let secretKey) = tenant.keys else { return [] }
            #expect(try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Mail","key":"mail","type":"email","provider":"email_pxyz",
                 "providerSettings":{"host":"127.0.0.1","password":"p4ssw0rd-XYZ"}}
                """).status == 200)
            let made = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys, json:
                #"{"tenantId":"\#(tenant.id)","type":"email","name":"secretive","body":{"html":"<p>BODY-MARKER {{code}}</p>"}}"#)
            let templateId = try made.json()["id"]?.stringValue ?? ""
            _ = try await api.call("POST", "/api/v0/notifications/test", tenant.keys, json:
                #"{"templateId":"\#(templateId)","dryRun":true,"variables":{"code":"918273"}}"#)
            _ = try await api.call("GET", "/api/v0/auth/tenants/\(tenant.id)", .keys(public: "pk_nope", secret: secretKey))
            // A failing request logs its error, still without secrets.
            _ = try await api.call("GET", "/api/v0/tenants", .bearer("Bearer-\(secretKey)", userId: ""))
            return [secretKey, "p4ssw0rd-XYZ", "918273", "BODY-MARKER"]
        }
        let log = lines.joined
        #expect(log.contains("\"msg\":\"request\""), "request lines were logged")
        for secret in secrets { #expect(!log.contains(secret), "\(secret) leaked into the logs") }
    }
}

final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var joined: String { lock.withLock { lines.joined() } }
}
