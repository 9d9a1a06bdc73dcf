import Foundation
import Testing
import HTTP
import JSON
import Crypto
@testable import Delivery

/// Twilio, Slack, the SMS gateway and in-app against real loopback receivers.
@Suite struct MessagingProviderTests {
    /// `a=b&c=d` decoded (percent-escapes and `+` as space, as a form parser would).
    func form(_ body: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            out[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return out
    }

    @Test func twilioPostsAFormWithBasicAuthToTheAccountsMessagesResource() async throws {
        try await withReceiver({ _ in
            jsonResponse(201, #"{"sid":"SM1234567890abcdef","status":"queued","to":"+15550001111"}"#)
        }) { base, log in
            let settings: JSONObject = ["accountSid": "AC0123456789abcdef0123456789abcdef", "authToken": "tw-secret-token",
                                        "from": "+15559998888", "baseUrl": .string(base)]
            let receipt = try await TwilioProvider(client: sharedClient).send(smsMessage(), via: channel("sms_twilio", settings))
            #expect(receipt.providerMessageId == "SM1234567890abcdef")
            #expect(receipt.response?.hasPrefix("201 {\"sid\"") == true)

            let request = try log.single()
            #expect(request.method == .post)
            #expect(request.path == "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json")
            #expect(request.headers["Content-Type"] == "application/x-www-form-urlencoded")
            let auth = try #require(request.headers["Authorization"])
            #expect(auth.hasPrefix("Basic "))
            let decoded = Base64.decode(String(auth.dropFirst(6))).map { String(decoding: $0, as: UTF8.self) }
            #expect(decoded == "AC0123456789abcdef0123456789abcdef:tw-secret-token")
            // "+" is sent as %2B: a form parser must not read it as a space.
            #expect(request.text.contains("To=%2B15550001111"))
            #expect(form(request.text) == ["To": "+15550001111", "From": "+15559998888", "Body": "Your code is 123456 & 5 minutes + ümlaut"])
        }
    }

    @Test func twilioAsksForStatusCallbacksAtTheChannelsEventReceiverWhenThePublicURLIsSet() async throws {
        try await withReceiver({ _ in jsonResponse(201, #"{"sid":"SM1"}"#) }) { base, log in
            let settings: JSONObject = ["accountSid": "AC1", "authToken": "tok3n", "from": "+15559998888", "baseUrl": .string(base)]
            _ = try await TwilioProvider(client: sharedClient, eventsBaseURL: "https://herald.example")
                .send(smsMessage(id: "cabc123def456"), via: channel("sms_twilio", settings))
            _ = try await TwilioProvider(client: sharedClient).send(smsMessage(), via: channel("sms_twilio", settings))
            let forms = log.requests.map { form($0.text) }
            try #require(forms.count == 2)
            #expect(forms[0]["StatusCallback"] == "https://herald.example/api/v0/notifications/events/chn_1?notificationId=cabc123def456")
            #expect(forms[1]["StatusCallback"] == nil, "no public URL, no callback")
        }
    }

    @Test func twilioMessagingServiceSenderAndBadAccountSid() async throws {
        try await withReceiver({ _ in jsonResponse(201, #"{"sid":"SM1"}"#) }) { base, log in
            let service = "MG" + String(repeating: "a", count: 32)
            _ = try await TwilioProvider(client: sharedClient).send(smsMessage(), via: channel("sms_twilio", [
                "accountSid": "AC1", "authToken": "tok3n", "from": .string(service), "baseUrl": .string(base)]))
            #expect(form(try log.single().text)["MessagingServiceSid"] == service)

            let error = await deliveryError {
                _ = try await TwilioProvider(client: sharedClient).send(smsMessage(), via: channel("sms_twilio", [
                    "accountSid": "AC1/../../x", "authToken": "tok3n", "from": "+1555", "baseUrl": .string(base)]))
            }
            #expect(error?.code == .permanent && log.requests.count == 1)
        }
    }

    @Test func anSMSGoesToExactlyOneNumber() async throws {
        let provider = TwilioProvider(client: sharedClient)
        let settings: JSONObject = ["accountSid": "AC1", "authToken": "tok3n", "from": "+1555", "baseUrl": "http://127.0.0.1:9"]
        for to in [[String](), ["+1555000", "+1555111"], ["+1555\n000"]] {
            let error = await deliveryError { _ = try await provider.send(smsMessage(to: to), via: channel("sms_twilio", settings)) }
            #expect(error?.code == .invalidMessage, "\(to)")
        }
    }

    @Test func slackPostsTextUsernameAndIconToTheWebhookURL() async throws {
        try await withReceiver({ _ in .text("ok") }) { base, log in
            let message = OutgoingMessage(notificationId: "ntf_chat", tenantId: "ten_1", type: "chat", to: [], text: "Deploy *done* :tada:")
            let settings: JSONObject = ["webhookUrl": .string(base + "/services/T000/B000/XXXXSECRET"),
                                        "username": "Herald", "iconEmoji": ":bell:"]
            let receipt = try await SlackProvider(client: sharedClient).send(message, via: channel("chat_slack", settings))
            #expect(receipt == DeliveryReceipt(providerMessageId: nil, response: "200 ok"))
            let request = try log.single()
            #expect(request.method == .post && request.path == "/services/T000/B000/XXXXSECRET")
            #expect(request.headers["Content-Type"] == "application/json")
            #expect(request.json == ["text": "Deploy *done* :tada:", "username": "Herald", "icon_emoji": ":bell:"])
        }
    }

    @Test func slackErrorsNeverShowTheWebhookPath() async throws {
        try await withReceiver({ _ in .text("invalid_token", status: .forbidden) }) { base, _ in
            let message = OutgoingMessage(notificationId: "ntf_chat", tenantId: "ten_1", type: "chat", to: [], text: "hi")
            let url = base + "/services/T000/B000/XXXXSECRET"
            let error = await deliveryError {
                _ = try await SlackProvider(client: sharedClient).send(message, via: channel("chat_slack", ["webhookUrl": .string(url)]))
            }
            #expect(error?.code == .permanent)
            #expect(error?.message.contains("invalid_token") == true)
            #expect(error?.message.contains("XXXXSECRET") == false)
        }
    }

    @Test func smsGatewayPostsIdToFromTextToTheChannelURL() async throws {
        try await withReceiver({ _ in jsonResponse(202, #"{"id":"ntf_01HXSMS","accepted":true}"#) }) { base, log in
            let provider = SMSGatewayProvider(client: sharedClient, gatewayURL: URL(string: "http://127.0.0.1:9/unused"))
            let receipt = try await provider.send(smsMessage(), via: channel("sms_pxyz", ["from": "Herald", "url": .string(base + "/sms")]))
            #expect(receipt.providerMessageId == "ntf_01HXSMS")
            let request = try log.single()
            #expect(request.method == .post && request.path == "/sms")
            #expect(request.headers["Content-Type"] == "application/json")
            #expect(request.headers["Idempotency-Key"] == "ntf_01HXSMS")
            #expect(request.headers["Authorization"] == nil)
            #expect(request.json == ["id": "ntf_01HXSMS", "to": "+15550001111", "from": "Herald",
                                     "text": "Your code is 123456 & 5 minutes + ümlaut"])
        }
    }

    @Test func smsGatewayFallsBackToTheServersURLWithItsCredentialsAsBasicAuth() async throws {
        try await withReceiver({ _ in .text("queued") }) { base, log in
            let gateway = try #require(URL(string: base.replacingOccurrences(of: "http://", with: "http://gw:p%40ss@") + "/send"))
            let provider = SMSGatewayProvider(client: sharedClient, gatewayURL: gateway)
            let receipt = try await provider.send(smsMessage(), via: channel("sms_pxyz", [:]))
            #expect(receipt == DeliveryReceipt(providerMessageId: nil, response: "200 queued"))
            let request = try log.single()
            #expect(request.path == "/send")
            #expect(request.headers["Authorization"] == "Basic " + Base64.encode(Array("gw:p@ss".utf8)))
            #expect(request.json == ["id": "ntf_01HXSMS", "to": "+15550001111", "text": "Your code is 123456 & 5 minutes + ümlaut"])
        }
    }

    @Test func smsGatewayWritesTheOutboxWhenNoGatewayIsConfigured() async throws {
        let directory = try TestPaths.makeTempDirectory("herald-outbox").appendingPathComponent("nested")
        let provider = SMSGatewayProvider(client: sharedClient, outbox: Outbox(directory: directory))
        let receipt = try await provider.send(smsMessage(), via: channel("sms_pxyz", ["from": "Herald"]))
        let file = directory.appendingPathComponent("ntf_01HXSMS.txt")
        #expect(receipt.providerMessageId == "ntf_01HXSMS")
        #expect(receipt.response == "written to \(file.path)")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text == "To: +15550001111\nFrom: Herald\nNotification: ntf_01HXSMS\n\nYour code is 123456 & 5 minutes + ümlaut\n")

        let nowhere = await deliveryError {
            _ = try await SMSGatewayProvider(client: sharedClient).send(smsMessage(), via: channel("sms_pxyz", [:]))
        }
        #expect(nowhere?.code == .permanent)
    }

    @Test func inAppConfirmsWithTheNotificationIdAndNoopSendsNothing() async throws {
        let message = OutgoingMessage(notificationId: "ntf_inbox", tenantId: "ten_1", type: "inapp", to: ["usr_1"], title: "Hi")
        let receipt = try await InAppProvider().send(message, via: channel("inapp_pxyz", [:]))
        #expect(receipt.providerMessageId == "ntf_inbox")
        #expect(try await NoopProvider().send(message, via: channel("email_pxyz", [:])).providerMessageId == "ntf_inbox")
    }
}
