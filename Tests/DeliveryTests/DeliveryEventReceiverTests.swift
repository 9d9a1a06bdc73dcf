import Foundation
import JSON
import Testing
@testable import Delivery
import Crypto
import HeraldTestSupport

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

    /// Found by deploy/fuzz.sh events: a provider's own event id written like
    /// Herald's digest keys is hashed, so it cannot pose as the digest of
    /// another event.
    @Test func aProviderIdLikeADigestKeyIsHashed() throws {
        let body = Array(#"[{"email":"a@example.com","event":"delivered","sg_event_id":"sha256:A"}]"#.utf8)
        let key = try #require(try SendGridEvents.parse(body).first).eventKey
        #expect(key != "sha256:A")
        #expect(key.hasPrefix("sha256:") && key.utf8.count == 7 + 64)
        #expect(try SendGridEvents.parse(Array(#"[{"event":"delivered","sg_event_id":"sha-A"}]"#.utf8))[0].eventKey == "sha-A")
    }

    @Test func textPostgreSQLCannotHoldIsCleaned() throws {
        let body = Array(#"[{"id":"e\u0000","type":"bounced","notificationId":"cabcdefgh1","recipient":"a\u0000@b.c","detail":"x\u0000y"}]"#.utf8)
        let event = try #require(try HeraldEvents.parse(body).first)
        #expect(event.recipient == "a@b.c" && event.detail == "xy")
        #expect(event.eventKey.hasPrefix("sha256:"))
    }

    @Test func receiversRefuseAChannelWithoutItsVerificationSetting() {
        let request = DeliveryEventRequest(headers: [:], body: Array("{}".utf8), url: "https://h", notificationId: nil)
        for provider in ["email_postmark", "email_sendgrid", "email_resend", "sms_twilio", "email_pxyz", "webhook"] {
            #expect(throws: DeliveryEventError.self, "\(provider)") {
                _ = try DeliveryEventReceiver.receive(provider: provider, channelSettings: [:], request: request)
            }
        }
    }

    /// A cheap stand-in for a libFuzzer target: seeded mutations of real
    /// payloads (bytes flipped, cut, duplicated) through every parser and
    /// the form decoder. Whatever comes in, a parser answers events or a
    /// `DeliveryEventError`, never a crash or another error.
    @Test func mutatedPayloadsNeverCrashAParser() {
        let seeds = [
            #"{"RecordType":"Bounce","ID":42,"Type":"HardBounce","Email":"a@b.c","BouncedAt":"2019-11-05T16:33:54.9070259Z","Metadata":{"notification_id":"cabcdefgh1"}}"#,
            #"[{"email":"a@b.c","timestamp":1513299569,"event":"bounce","type":"blocked","sg_event_id":"x","notification_id":"cabcdefgh1"}]"#,
            #"{"type":"email.bounced","created_at":"2024-11-22T23:41:12.126Z","data":{"to":["a@b.c"],"bounce":{"type":"Permanent"},"tags":[{"name":"notification_id","value":"cabcdefgh1"}]}}"#,
            #"[{"id":"e1","type":"clicked","messageId":"<cabcdefgh1@x>","occurredAt":"2026-12-07T10:00:01.5+01:00"}]"#,
            "MessageSid=SM1&MessageStatus=undelivered&ErrorCode=30005&To=%2B1555&Body=a+b%zz",
        ]
        var random = SeededGenerator(state: 0x5eed_14)
        for round in 0..<1000 {
            var bytes = Array(seeds[round % seeds.count].utf8)
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let index = Int.random(in: 0..<max(bytes.count, 1), using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0 where !bytes.isEmpty: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes = Array(bytes.prefix(index))
                case 2 where !bytes.isEmpty: bytes.insert(contentsOf: bytes[index...].prefix(8), at: index)
                default: bytes.insert(Array("{}[]\",:0e".utf8).randomElement(using: &random)!, at: min(index, bytes.count))
                }
            }
            let pairs = FormDecoding.pairs(bytes)
            _ = DeliveryEventReceiver.twilioSignedContent(url: "https://h/x", form: pairs)
            let parsers: [() throws -> [DeliveryEvent]] = [
                { try PostmarkEvents.parse(bytes) }, { try SendGridEvents.parse(bytes) },
                { try ResendEvents.parse(bytes, messageId: "m") }, { try HeraldEvents.parse(bytes) },
                { try TwilioEvents.parse(pairs, notificationId: "cabcdefgh1") },
            ]
            for parse in parsers {
                do {
                    for event in try parse() {
                        #expect(!event.eventKey.isEmpty && event.eventKey.utf8.count <= 800)
                        #expect(event.notificationId.map { DeliveryEvent.plausibleId($0) == $0 } ?? true)
                    }
                } catch {
                    #expect(error is DeliveryEventError, "\(error)")
                }
            }
        }
    }
}
