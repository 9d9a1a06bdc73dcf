import Foundation
import Testing
@testable import Delivery

@Suite struct EmailMessageTests {
    func sample() -> EmailMessage {
        EmailMessage(
            from: EmailAddress("noreply@herald.test", name: "Herald Bot"),
            to: [EmailAddress("jorg@example.com", name: "Jörg Müller"), EmailAddress("plain@example.com")],
            cc: [EmailAddress("cc@example.com", name: "Smith, John \"JJ\"")],
            bcc: [EmailAddress("hidden@example.com", name: "Hidden")],
            replyTo: EmailAddress("support@herald.test"),
            subject: "Ihre Bestellung ist unterwegs",
            text: "Hallo Jörg,\nIhre Bestellung ist unterwegs.\n",
            html: "<p>Hallo J&ouml;rg</p>",
            headers: [EmailHeader("X-Herald-Notification", "ntf_123")],
            messageID: EmailMessage.messageID(notificationId: "ntf_123", domain: "Herald.Test"))
    }

    func headerBlock(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        return String(text[..<text.range(of: "\r\n\r\n")!.lowerBound])
    }

    @Test func headersAreCompleteAndBccIsNotAmongThem() throws {
        let date = Date(timeIntervalSince1970: 1_057_056_757)
        let head = headerBlock(try sample().render(date: date))
        #expect(head.hasPrefix("Date: Tue, 1 Jul 2003 10:52:37 +0000\r\nFrom: Herald Bot <noreply@herald.test>\r\n"))
        #expect(head.contains("\r\nReply-To: <support@herald.test>\r\n"))
        #expect(head.contains("\r\nTo: =?UTF-8?B?"))
        #expect(head.contains("<jorg@example.com>, <plain@example.com>\r\n"))
        #expect(head.contains("\r\nCc: \"Smith, John \\\"JJ\\\"\" <cc@example.com>\r\n"))
        #expect(head.contains("\r\nSubject: Ihre Bestellung ist unterwegs\r\n"))
        #expect(head.contains("\r\nMessage-ID: <ntf_123@herald.test>\r\n"))
        #expect(head.contains("\r\nMIME-Version: 1.0\r\n"))
        #expect(head.contains("\r\nX-Herald-Notification: ntf_123\r\n"))
        #expect(head.contains("Content-Type: multipart/alternative;\r\n boundary=\"=_Herald_"))
        // No Bcc header line (the random boundary may spell "bcc" by chance).
        #expect(!head.lowercased().components(separatedBy: "\r\n").contains { $0.hasPrefix("bcc:") })
        #expect(!head.contains("hidden@example.com"))
        #expect(head.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
    }

    @Test func singlePartWhenOnlyText() throws {
        var message = sample()
        message.html = nil
        let text = String(decoding: try message.render(), as: UTF8.self)
        #expect(text.contains("\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHallo J=C3=B6rg,\r\n"))
        #expect(!text.contains("multipart"))
    }

    @Test func envelopeHasEveryRecipientOnce() {
        var message = sample()
        message.bcc.append(EmailAddress("PLAIN@example.com"))
        #expect(message.envelopeRecipients == ["jorg@example.com", "plain@example.com", "cc@example.com", "hidden@example.com"])
    }

    @Test func messageIDIsStableAndAlwaysValid() throws {
        #expect(EmailMessage.messageID(notificationId: "ntf_1", domain: "mail.example.com") == "<ntf_1@mail.example.com>")
        #expect(EmailMessage.messageID(notificationId: "a b=c.d>", domain: "x..y.") == "<a=20b=3Dc=2Ed=3E@x.=2Ey=2E>")
        var message = sample()
        message.messageID = EmailMessage.messageID(notificationId: "weird <id>\r\n", domain: "ex ample")
        try message.validate()
    }

    @Test(arguments: [
        ("Subject", "Hello\r\nBcc: victim@example.com"),
        ("X-Custom", "value\nInjected: yes"),
        ("X-Custom", "value\rInjected: yes"),
    ])
    func crOrLFInAHeaderIsRefused(name: String, value: String) {
        var message = sample()
        if name == "Subject" { message.subject = value } else { message.headers = [EmailHeader(name, value)] }
        #expect(throws: DeliveryError.self) { try message.render() }
        do { try message.validate() } catch let error as DeliveryError {
            #expect(error.code == .invalidMessage && error.isPermanent)
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func badAddressesAndHeadersAreRefused() {
        let bad: [(inout EmailMessage) -> Void] = [
            { $0.to = [EmailAddress("a@b.c\r\nRCPT TO:<x@y.z>")] },
            { $0.to = [EmailAddress("victim@example.com>\r\nDATA")] },
            { $0.from = EmailAddress("no-at-sign") },
            { $0.bcc = [EmailAddress("a b@example.com")] },
            { $0.cc = [EmailAddress("ok@example.com", name: "Evil\r\nBcc: x@y.z")] },
            { $0.to = []; $0.cc = []; $0.bcc = [] },
            { $0.text = nil; $0.html = nil },
            { $0.headers = [EmailHeader("Bcc", "x@y.z")] },
            { $0.headers = [EmailHeader("Bad Name", "v")] },
            { $0.messageID = "<no-at-sign>" },
        ]
        for mutate in bad {
            var message = sample()
            mutate(&message)
            #expect(throws: DeliveryError.self) { try message.validate() }
        }
    }
}
