import Crypto
import Delivery
import Foundation
import HTTP
import HeraldTestSupport
import JSON
import Testing

/// Delivery events with the worker running: the tenant's event stream to its
/// own webhook channel, and a provider peer that posts events back about
/// what the worker sent it.
@Suite(.serialized) struct DeliveryEventStreamTests {
    /// What a loopback peer received, in order.
    final class Received: @unchecked Sendable {
        private let lock = NSLock()
        private var requests: [HTTPRequest] = []
        func record(_ request: HTTPRequest) { lock.withLock { requests.append(request) } }
        var all: [HTTPRequest] { lock.withLock { requests } }
    }

    /// Where the peer posts its events, known once Herald runs.
    final class Target: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: (Int, String)?
        func set(port: Int, path: String) { lock.withLock { stored = (port, path) } }
        var value: (Int, String)? { lock.withLock { stored } }
    }

    /// Polls `GET /notifications/{id}` until `condition` holds (a deadline, not a measurement).
    static func waitFor(_ fixture: EventFixture, _ api: EndToEndHarness, _ id: String, timeout: Duration = .seconds(10),
                        _ condition: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while true {
            let notification = try await fixture.notification(api, id)
            if condition(notification) { return notification }
            guard ContinuousClock.now < deadline else {
                Issue.record("notification \(id) never got there: \(notification)")
                return notification
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func aBounceReachesTheTenantsOptedInWebhookSigned() async throws {
        let received = Received()
        let receiver = ClosureResponder { request in
            received.record(request)
            return .text("ok")
        }
        try await TestHTTPServer.with(responder: receiver) { server in
            try await EndToEndHarness.with { e2e in
                let postmark = try await EventFixture.make(e2e, provider: "email_postmark", settings: """
                    {"serverToken":"pm","from":"noreply@herald.test","webhookUsername":"pm","webhookPassword":"pw",
                     "baseUrl":"http://127.0.0.1:1"}
                    """)
                let secret = ProviderSigning.newSecret()
                for (key, optIn) in [("events", true), ("other", false)] {
                    let created = try await e2e.call("POST", "/api/v0/notifications/channels", postmark.tenant.keys, json: """
                        {"tenantId":"\(postmark.tenant.id)","name":"\(key)","key":"\(key)","type":"webhook","provider":"webhook",
                         "providerSettings":{"url":"http://127.0.0.1:\(server.localPort)/\(key)","secret":"\(secret)","deliveryEvents":\(optIn)}}
                        """)
                    try #require(created.status == 200, "\(created.bodyString)")
                }
                // Queued only (the Postmark channel points nowhere real): the event still maps to it.
                let id = try await postmark.send(e2e, to: "gone@example.com")
                let bounce = DeliveryEventFixtures.postmarkBounce(id, "gone@example.com")
                let response = try await postmark.post(e2e, bounce, headers: [ProviderSigning.basic("pm", "pw")])
                #expect(response.status == 200, "\(response.bodyString)")

                let deadline = ContinuousClock.now + .seconds(10)
                while received.all.isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
                let requests = received.all
                try #require(requests.count == 1, "one event to the one opted-in channel, got \(requests.map(\.path))")
                let request = requests[0]
                #expect(request.path == "/events")
                let webhookId = try #require(request.headers["webhook-id"])
                let timestamp = try #require(request.headers["webhook-timestamp"].flatMap { Int64($0) })
                #expect(WebhookSignature.verify(header: request.headers["webhook-signature"] ?? "", id: webhookId,
                                                timestamp: timestamp, body: request.body, secret: secret))
                let event = try JSONValue(parsing: request.body)
                #expect(event["type"] == "bounced")
                #expect(event["notificationId"] == .string(id))
                #expect(event["channelId"] == .string(postmark.channelId))
                #expect(event["provider"] == "email_postmark")
                #expect(event["recipient"] == "gone@example.com")
                #expect(event["messageId"] == "883953f4-6105-42a2-a16a-77a8eac79483")
                #expect(event["occurredAt"] == "2019-11-05T16:35:10.500Z")
            }
        }
    }

    @Test func aPostmarkPeerPostsSignedEventsBackAboutWhatTheWorkerSent() async throws {
        let herald = Target()
        let received = Received()
        // Postmark as a peer: accepts the send, then posts its Delivery webhook to Herald.
        let peer = ClosureResponder { request in
            received.record(request)
            guard let json = try? JSONValue(parsing: request.body), let id = json["Metadata"]?["notification_id"]?.stringValue,
                  let to = json["To"]?.stringValue, let (port, path) = herald.value else {
                return .text("bad", status: .badRequest)
            }
            let event = to.hasPrefix("bounce")
                ? DeliveryEventFixtures.postmarkBounce(id, to) : DeliveryEventFixtures.postmarkDelivery(id, to)
            Task.detached {
                _ = try? await TestHTTPClient.request(port: port, method: "POST", path: path,
                                                headers: [ProviderSigning.basic("pm", "pw"), ("Content-Type", "application/json")],
                                                body: Array(event.utf8))
            }
            return .json(Array(#"{"To":"\#(to)","SubmittedAt":"2026-12-07T10:00:00Z","MessageID":"b7bc2f4a-e38e-4336-af7d-e6c392c2f817","ErrorCode":0,"Message":"OK"}"#.utf8))
        }
        try await TestHTTPServer.with(responder: peer) { server in
            try await EndToEndHarness.with { e2e in
                let postmark = try await EventFixture.make(e2e, provider: "email_postmark", settings: """
                    {"serverToken":"pm","from":"noreply@herald.test","webhookUsername":"pm","webhookPassword":"pw",
                     "baseUrl":"http://127.0.0.1:\(server.localPort)"}
                    """)
                herald.set(port: e2e.port, path: postmark.path)
                let delivered = try await postmark.send(e2e, to: "someone@example.com")
                let bounced = try await postmark.send(e2e, to: "bounce@example.com")
                let first = try await Self.waitFor(postmark, e2e, delivered) { $0["deliveryStatus"] == "delivered" && $0["status"] == "sent" }
                #expect(first["status"] == "sent")
                #expect(first["providerMessageId"] == "b7bc2f4a-e38e-4336-af7d-e6c392c2f817")
                let second = try await Self.waitFor(postmark, e2e, bounced) { $0["deliveryStatus"] == "bounced" && $0["status"] == "sent" }
                #expect(second["events"]?.arrayValue?.count == 1)
                #expect(try await postmark.suppressions(e2e) == ["bounce@example.com hard_bounce"])
                #expect(received.all.count == 2, "each message sent once")
            }
        }
    }
}
