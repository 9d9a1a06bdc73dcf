import Foundation
import Testing
import HTTP
import JSON
import Crypto
@testable import Delivery

/// Standard Webhooks: the spec's test vector, and signed requests checked
/// by recomputing the HMAC independently on the receiving side.
@Suite struct WebhookProviderTests {
    static let fixedNow = Date(timeIntervalSince1970: 1_700_000_000)

    func provider() -> WebhookProvider { WebhookProvider(client: sharedClient, now: { Self.fixedNow }) }

    func webhookMessage(json: JSONValue? = ["event": "order.shipped", "order": ["id": 42, "total": 10.5]]) -> OutgoingMessage {
        OutgoingMessage(notificationId: "ntf_hook1", tenantId: "ten_1", type: "webhook", to: [], text: "Order 42 shipped", json: json)
    }

    @Test func standardWebhooksTestVector() throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let signature = try WebhookSignature.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body, secret: secret)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        let then = Date(timeIntervalSince1970: 1_614_265_330)
        #expect(WebhookSignature.verify(header: "v1,bogus \(signature)", id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                        timestamp: 1_614_265_330, body: body, secret: secret, now: then))
        // Too old, another body, another id: refused.
        #expect(!WebhookSignature.verify(header: signature, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                         body: body, secret: secret, now: then.addingTimeInterval(301)))
        #expect(!WebhookSignature.verify(header: signature, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                         body: body + [32], secret: secret, now: then))
        #expect(!WebhookSignature.verify(header: signature, id: "msg_other", timestamp: 1_614_265_330, body: body, secret: secret, now: then))
    }

    @Test func secretKeys() throws {
        #expect(try WebhookSignature.key(fromSecret: "whsec_AAEC") == [0, 1, 2])
        #expect(try WebhookSignature.key(fromSecret: "plain secret") == Array("plain secret".utf8))
        #expect(throws: DeliveryError.self) { try WebhookSignature.key(fromSecret: "whsec_not base64!") }
    }

    @Test func postsTheRenderedDocumentSignedWithIdTimestampAndSignature() async throws {
        try await withReceiver({ _ in .text("accepted", status: .accepted) }) { base, log in
            let secret = "whsec_" + Base64.encode(Array("a 24-byte signing key!!!".utf8))
            let settings: JSONObject = [
                "url": .string(base + "/hooks/herald?tenant=1"), "secret": .string(secret),
                "headers": ["X-Api-Key": "receiver-key-123", "X-Tenant": "acme"],
            ]
            let receipt = try await provider().send(webhookMessage(), via: channel("webhook", settings))
            #expect(receipt == DeliveryReceipt(providerMessageId: "ntf_hook1", response: "202 accepted"))

            let request = try log.single()
            #expect(request.method == .post && request.path == "/hooks/herald" && request.rawQuery == "tenant=1")
            #expect(request.headers["Content-Type"] == "application/json")
            #expect(request.headers["X-Api-Key"] == "receiver-key-123" && request.headers["X-Tenant"] == "acme")
            #expect(request.json == ["event": "order.shipped", "order": ["id": 42, "total": 10.5]])
            let id = try #require(request.headers["webhook-id"])
            let timestamp = try #require(request.headers["webhook-timestamp"])
            #expect(id == "ntf_hook1" && timestamp == "1700000000")

            // The receiver's side, from the spec rather than from our code.
            let key = try #require(Base64.decode(String(secret.dropFirst("whsec_".count))))
            let expected = "v1," + Base64.encode(HMAC.sha256(key: key, message: Array("\(id).\(timestamp).".utf8) + request.body))
            #expect(request.headers["webhook-signature"] == expected)
            #expect(WebhookSignature.verify(header: expected, id: id, timestamp: 1_700_000_000, body: request.body,
                                            secret: secret, now: Self.fixedNow))
        }
    }

    @Test func aSecretWithoutPrefixIsUsedAsBytesAndTextOnlyMessagesSendText() async throws {
        try await withReceiver { base, log in
            _ = try await provider().send(webhookMessage(json: nil), via: channel("webhook", ["url": .string(base), "secret": "just-a-passphrase"]))
            let request = try log.single()
            #expect(request.json == ["text": "Order 42 shipped"])
            let expected = "v1," + Base64.encode(HMAC.sha256(key: Array("just-a-passphrase".utf8),
                                                             message: Array("ntf_hook1.1700000000.".utf8) + request.body))
            #expect(request.headers["webhook-signature"] == expected)
        }
    }

    @Test func withoutASecretTheRequestIsUnsignedButStillIdentified() async throws {
        try await withReceiver { base, log in
            _ = try await provider().send(webhookMessage(), via: channel("webhook", ["url": .string(base)]))
            let request = try log.single()
            #expect(request.headers["webhook-id"] == "ntf_hook1" && request.headers["webhook-signature"] == nil)
        }
    }

    @Test func extraHeadersCannotInjectOrOverride() async throws {
        try await withReceiver { base, log in
            let bad: [JSONValue] = [
                ["X-Evil": "a\r\nInjected: yes"], ["X-Evil": "a\nb"], ["Bad Name": "x"], ["webhook-signature": "v1,forged"],
                ["Content-Type": "text/plain"], ["X-Number": ["nested"]], "not an object",
            ]
            for headers in bad {
                let error = await deliveryError {
                    _ = try await provider().send(webhookMessage(), via: channel("webhook", ["url": .string(base), "headers": headers]))
                }
                #expect(error?.code == .permanent, "\(headers)")
                #expect(error?.message.contains("Injected") == false)
            }
            #expect(log.requests.isEmpty)
        }
    }

    @Test func aReceiverEchoingTheApiKeyDoesNotPutItInTheError() async throws {
        try await withReceiver({ request in
            .text("bad key \(request.headers["X-Api-Key"] ?? "")", status: .unauthorized)
        }) { base, _ in
            let error = await deliveryError {
                _ = try await provider().send(webhookMessage(), via: channel("webhook", ["url": .string(base), "headers": ["X-Api-Key": "receiver-key-123"]]))
            }
            #expect(error?.code == .permanent)
            #expect(error?.message.contains("401") == true && error?.message.contains("bad key ********") == true)
            #expect(error?.message.contains("receiver-key-123") == false)
        }
    }
}
