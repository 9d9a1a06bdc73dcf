import Foundation
import Testing
import HTTP
import JSON
import Crypto
@testable import Delivery

/// Postmark, SendGrid and Resend against a real HTTP receiver on loopback:
/// the request each sends, and the receipt each makes of the reply.
@Suite struct EmailAPIProviderTests {
    @Test func postmarkSendsItsEmailShapeWithTheServerToken() async throws {
        try await withReceiver({ _ in
            jsonResponse(200, #"{"To":"jorg@example.com","SubmittedAt":"2024-01-01T00:00:00Z","MessageID":"b7bc2f4a-e38e-4336","ErrorCode":0,"Message":"OK"}"#)
        }) { base, log in
            let settings: JSONObject = [
                "serverToken": "pm-secret-token", "from": "noreply@herald.test", "fromName": "Herald \"HQ\"",
                "baseUrl": .string(base + "/postmark/"),
            ]
            let receipt = try await PostmarkProvider(client: sharedClient).send(emailMessage(), via: channel("email_postmark", settings))
            #expect(receipt.providerMessageId == "b7bc2f4a-e38e-4336")
            #expect(receipt.response?.hasPrefix("200 {\"To\":") == true)

            let request = try log.single()
            #expect(request.method == .post)
            #expect(request.path == "/postmark/email")
            #expect(request.headers["X-Postmark-Server-Token"] == "pm-secret-token")
            #expect(request.headers["Content-Type"] == "application/json")
            #expect(request.headers["Accept"] == "application/json")
            let body = try #require(request.json)
            #expect(body["From"] == #""Herald \"HQ\"" <noreply@herald.test>"#)
            #expect(body["To"] == "jorg@example.com, plain@example.com")
            #expect(body["Cc"] == "cc@example.com")
            #expect(body["Bcc"] == "hidden@example.com")
            #expect(body["Subject"] == "Ihre Bestellung für Jörg 🚚")
            #expect(body["HtmlBody"] == "<p>Hallo J&ouml;rg — 注文</p>")
            #expect(body["TextBody"] == "Hallo Jörg — 注文")
            #expect(body["MessageStream"] == "outbound")
            #expect(body["Headers"] == [["Name": "Message-ID", "Value": "<ntf_01HXTEST@herald.test>"]])
            #expect(body["Metadata"]?["notification_id"] == "ntf_01HXTEST")
        }
    }

    @Test func postmarkUsesTheChannelsMessageStreamAndOmitsEmptyFields() async throws {
        try await withReceiver({ _ in jsonResponse(200, #"{"MessageID":"x"}"#) }) { base, log in
            var message = emailMessage()
            message.cc = []
            message.bcc = []
            message.html = nil
            let settings: JSONObject = ["serverToken": "t0ken", "from": "a@herald.test", "messageStream": "broadcast", "baseUrl": .string(base)]
            _ = try await PostmarkProvider(client: sharedClient).send(message, via: channel("email_postmark", settings))
            let body = try #require(try log.single().json)
            #expect(body["MessageStream"] == "broadcast")
            #expect(body["From"] == "a@herald.test")
            #expect(body["Cc"] == nil && body["Bcc"] == nil && body["HtmlBody"] == nil)
        }
    }

    @Test func sendGridSendsPersonalizationsContentAndTheNotificationIdAsCustomArg() async throws {
        try await withReceiver({ _ in
            HTTPResponse(status: .accepted, headers: ["X-Message-Id": "sg-msg-42"])
        }) { base, log in
            var message = emailMessage()
            message.bcc = ["hidden@example.com", "JORG@example.com"]  // a repeat SendGrid would refuse
            let settings: JSONObject = ["apiKey": "SG.secret", "from": "noreply@herald.test", "fromName": "Herald", "baseUrl": .string(base)]
            let receipt = try await SendGridProvider(client: sharedClient).send(message, via: channel("email_sendgrid", settings))
            #expect(receipt == DeliveryReceipt(providerMessageId: "sg-msg-42", response: "202"))

            let request = try log.single()
            #expect(request.method == .post && request.path == "/v3/mail/send")
            #expect(request.headers["Authorization"] == "Bearer SG.secret")
            #expect(request.headers["Content-Type"] == "application/json")
            let body = try #require(request.json)
            #expect(body["personalizations"] == [[
                "to": [["email": "jorg@example.com"], ["email": "plain@example.com"]],
                "cc": [["email": "cc@example.com"]],
                "bcc": [["email": "hidden@example.com"]],
            ]])
            #expect(body["from"] == ["email": "noreply@herald.test", "name": "Herald"])
            #expect(body["subject"] == "Ihre Bestellung für Jörg 🚚")
            #expect(body["content"] == [
                ["type": "text/plain", "value": "Hallo Jörg — 注文"],
                ["type": "text/html", "value": "<p>Hallo J&ouml;rg — 注文</p>"],
            ])
            #expect(body["custom_args"] == ["notification_id": "ntf_01HXTEST"])
        }
    }

    @Test func resendSendsTheNotificationIdAsIdempotencyKey() async throws {
        try await withReceiver({ _ in jsonResponse(200, #"{"id":"49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}"#) }) { base, log in
            let settings: JSONObject = ["apiKey": "re_secret", "from": "noreply@herald.test", "fromName": "Herald", "baseUrl": .string(base)]
            let provider = ResendProvider(client: sharedClient)
            let first = try await provider.send(emailMessage(), via: channel("email_resend", settings))
            var retry = emailMessage()
            retry.attempt = 2
            let second = try await provider.send(retry, via: channel("email_resend", settings))
            #expect(first.providerMessageId == "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794" && second == first)

            let requests = log.requests
            try #require(requests.count == 2)
            #expect(requests.map { $0.headers["Idempotency-Key"] } == ["ntf_01HXTEST", "ntf_01HXTEST"])
            #expect(requests[0].body == requests[1].body)  // same key, same payload
            let request = requests[0]
            #expect(request.method == .post && request.path == "/emails")
            #expect(request.headers["Authorization"] == "Bearer re_secret")
            let body = try #require(request.json)
            #expect(body["from"] == #""Herald" <noreply@herald.test>"#)
            #expect(body["to"] == ["jorg@example.com", "plain@example.com"])
            #expect(body["cc"] == ["cc@example.com"] && body["bcc"] == ["hidden@example.com"])
            #expect(body["subject"] == "Ihre Bestellung für Jörg 🚚")
            #expect(body["html"] == "<p>Hallo J&ouml;rg — 注文</p>" && body["text"] == "Hallo Jörg — 注文")
            // Resend's delivery events carry the tags: how they map back to the notification.
            #expect(body["tags"] == [["name": "notification_id", "value": "ntf_01HXTEST"]])
        }
    }

    @Test func resendConcurrentIdempotentRequestIsRetryableButAKeyReusedWithAnotherBodyIsNot() async throws {
        try await withReceiver({ request in
            let name = request.path == "/busy/emails" ? "concurrent_idempotent_requests" : "invalid_idempotent_request"
            return jsonResponse(409, #"{"statusCode":409,"name":"\#(name)","message":"…"}"#)
        }) { base, _ in
            let provider = ResendProvider(client: sharedClient)
            let busy = await deliveryError {
                _ = try await provider.send(emailMessage(), via: channel("email_resend", ["apiKey": "k3y-secret", "from": "a@herald.test", "baseUrl": .string(base + "/busy")]))
            }
            #expect(busy?.isRetryable == true)
            let reused = await deliveryError {
                _ = try await provider.send(emailMessage(), via: channel("email_resend", ["apiKey": "k3y-secret", "from": "a@herald.test", "baseUrl": .string(base)]))
            }
            #expect(reused?.code == .permanent)
        }
    }

    @Test func addressesThatWouldAddRecipientsOrHeadersAreRefusedBeforeSending() async throws {
        try await withReceiver { base, log in
            let settings: JSONObject = ["serverToken": "t0ken", "from": "noreply@herald.test", "baseUrl": .string(base)]
            let provider = PostmarkProvider(client: sharedClient)
            for to in ["a@example.com, evil@example.com", "a@example.com\r\nBcc: evil@example.com", "no-at-sign"] {
                var message = emailMessage()
                message.to = [to]
                let error = await deliveryError { _ = try await provider.send(message, via: channel("email_postmark", settings)) }
                #expect(error?.code == .invalidMessage, "\(to)")
            }
            var noBody = emailMessage()
            noBody.text = nil
            noBody.html = nil
            #expect(await deliveryError { _ = try await provider.send(noBody, via: channel("email_postmark", settings)) }?.code == .invalidMessage)
            #expect(log.requests.isEmpty)
        }
    }

    @Test func missingOrUnusableSettingsFailPermanentlyWithoutNamingSecrets() async throws {
        let provider = PostmarkProvider(client: sharedClient)
        let missing = await deliveryError {
            _ = try await provider.send(emailMessage(), via: channel("email_postmark", ["from": "a@herald.test"]))
        }
        #expect(missing?.code == .permanent && missing?.message.contains("serverToken") == true)
        for base in ["file:///etc/passwd", "ftp://example.com", "not a url", "http://"] {
            let error = await deliveryError {
                _ = try await provider.send(emailMessage(), via: channel("email_postmark", ["serverToken": "s3cret-token", "from": "a@herald.test", "baseUrl": .string(base)]))
            }
            #expect(error?.code == .permanent, "\(base)")
            #expect(error?.message.contains("s3cret-token") == false)
        }
        let badFrom = await deliveryError {
            _ = try await SendGridProvider(client: sharedClient).send(emailMessage(), via: channel("email_sendgrid", ["apiKey": "k", "from": "not an address"]))
        }
        #expect(badFrom?.code == .permanent && badFrom?.message.contains("from") == true)
    }
}
