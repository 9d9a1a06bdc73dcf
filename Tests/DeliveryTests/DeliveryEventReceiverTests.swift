import Foundation
import JSON
import Testing
@testable import Delivery
import Crypto

/// The receivers' pure parts: timestamps, form bodies, the Twilio signed
/// string, freshness, and malformed payloads (the API tests replay whole requests).
@Suite struct DeliveryEventReceiverTests {
    @Test func providerTimestampsParse() {
        #expect(EventTimestamp.parse("2019-11-05T16:33:54.9070259Z")?.timeIntervalSince1970 == 1572971634.9070259)
        #expect(EventTimestamp.parse("2024-11-22T23:41:11.894719+00:00").map { ($0.timeIntervalSince1970 * 1000).rounded() } == 1732318871895)
        #expect(EventTimestamp.parse("2026-12-07T10:00:01+01:00")?.timeIntervalSince1970 == 1796634001)
        for bad in ["", "2019-11-05", "2019-13-05T16:33:54Z", "2019-11-05T16:33:54", "1019-11-05T16:33:54Z",
                    "2019-11-05T16:33:54.Z", "2019-11-05T16:33:54Zjunk", "2019-11-05T16:33:54+0100"] {
            #expect(EventTimestamp.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func formBodiesDecodeLikeTwilioSendsThem() {
        let pairs = FormDecoding.pairs(Array("To=%2B15558675310&Body=hello+world&Empty=&Bad=%zz%4&Flag".utf8))
        #expect(pairs.map(\.0) == ["To", "Body", "Empty", "Bad", "Flag"])
        #expect(pairs.map(\.1) == ["+15558675310", "hello world", "", "%zz%4", ""])
        #expect(FormDecoding.pairs([]).isEmpty)
    }

    @Test func twilioSignsTheURLThenParametersSortedByName() {
        let content = DeliveryEventReceiver.twilioSignedContent(
            url: "https://example.com/myapp?foo=1", form: [("To", "+1"), ("CallSid", "CA1"), ("Digits", "1234"), ("Caller", "+2")])
        #expect(content == "https://example.com/myapp?foo=1CallSidCA1Caller+2Digits1234To+1")
    }

    @Test func staleAndMalformedTimestampsAreRefused() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect((try? DeliveryEventReceiver.checkFresh("1800000299", now)) == 1_800_000_299)
        #expect(throws: DeliveryEventError(.stale, "the timestamp is more than 300 s away")) {
            try DeliveryEventReceiver.checkFresh("1799999699", now)
        }
        for bad in ["", "abc", "1.5", "99999999999999999999"] {
            #expect(throws: DeliveryEventError.self) { try DeliveryEventReceiver.checkFresh(bad, now) }
        }
    }

    @Test func eachParserRefusesWhatTheProviderNeverSends() {
        let bodies: [(String, [UInt8])] = [
            ("postmark", Array("[]".utf8)), ("postmark", Array(#"{"Type":"HardBounce"}"#.utf8)),
            ("sendgrid", Array(#"{"event":"open"}"#.utf8)), ("sendgrid", Array(#"[1]"#.utf8)),
            ("resend", Array(#"{"type":"email.sent"}"#.utf8)), ("herald", Array(#"{"id":"x"}"#.utf8)),
            ("herald", Array(#"[{"id":"x","type":"teleported"}]"#.utf8)),
        ]
        for (provider, body) in bodies {
            #expect(throws: DeliveryEventError.self, "\(provider): \(String(decoding: body, as: UTF8.self))") {
                switch provider {
                case "postmark": _ = try PostmarkEvents.parse(body)
                case "sendgrid": _ = try SendGridEvents.parse(body)
                case "resend": _ = try ResendEvents.parse(body, messageId: "m")
                default: _ = try HeraldEvents.parse(body)
                }
            }
        }
        #expect(throws: DeliveryEventError.self) { try TwilioEvents.parse([("To", "+1")], notificationId: nil) }
    }

    @Test func anEventWithoutAnIdIsKeyedByItsDigestAndForeignIdsAreDropped() throws {
        let body = Array(#"{"RecordType":"Delivery","Recipient":"a@example.com","Metadata":{"notification_id":"'; DROP TABLE x"}}"#.utf8)
        let first = try PostmarkEvents.parse(body)
        #expect(first.count == 1 && first[0].kind == .delivered)
        #expect(first[0].eventKey.hasPrefix("sha256:"))
        #expect(first[0].eventKey == (try PostmarkEvents.parse(body))[0].eventKey)
        #expect(first[0].notificationId == nil, "not a Herald id, so it names nothing")
    }

    @Test func receiversRefuseAChannelWithoutItsVerificationSetting() {
        let request = DeliveryEventRequest(headers: [:], body: Array("{}".utf8), url: "https://h", notificationId: nil)
        for provider in ["email_postmark", "email_sendgrid", "email_resend", "sms_twilio", "email_pxyz", "webhook"] {
            #expect(throws: DeliveryEventError.self, "\(provider)") {
                _ = try DeliveryEventReceiver.receive(provider: provider, channelSettings: [:], request: request)
            }
        }
    }
}
