import Foundation
import Testing
import JSON
import Crypto
@testable import Delivery

/// Messages through a real SMTP server (aiosmtpd), checked against Python's
/// own MIME parser on the server side.
@Suite struct SMTPDeliveryTests {
    static let text = """
        Hallo Jörg,

        Ihre Bestellung №42 ist unterwegs — Lieferung morgen. Preis: 10 € = 10,00 EUR.
        .a line starting with a dot
        .
        ..two dots
        trailing space here \("   ")
        \(String(repeating: "a long line of text that must be wrapped, ä ", count: 8))
        """
    static let html = "<html><body><p style=\"color: red\">Hallo J&ouml;rg — 注文 🚀</p>\n.<p>dot</p></body></html>\n"

    static func message(notificationId: String = "ntf_01HX") -> EmailMessage {
        EmailMessage(
            from: EmailAddress("noreply@herald.test", name: "Ünïcode Sender"),
            to: [EmailAddress("jorg@example.com", name: "Jörg Müller"), EmailAddress("plain@example.com")],
            cc: [EmailAddress("cc@example.com", name: "Smith, John")],
            bcc: [EmailAddress("hidden@example.com", name: "Secret Person")],
            replyTo: EmailAddress("support@herald.test", name: "Support"),
            subject: "Ihre Bestellung für Jörg ist unterwegs 🚚 — \(String(repeating: "sehr ", count: 12))lang",
            text: text, html: html,
            headers: [EmailHeader("X-Herald-Notification", notificationId)],
            messageID: EmailMessage.messageID(notificationId: notificationId, domain: "herald.test"))
    }

    /// Python returns decoded bodies with the line breaks as sent (CRLF).
    func unixLines(_ text: String?) -> String? { text?.replacingOccurrences(of: "\r\n", with: "\n") }

    func header(_ record: JSONValue, _ name: String) -> [String] {
        (record["parsed"]?["headers"]?.arrayValue ?? []).compactMap { pair in
            pair.strings.first?.lowercased() == name.lowercased() ? pair.strings.last : nil
        }
    }

    @Test func multipartMessageArrivesIntactOverPlainSMTP() async throws {
        try await withSMTPServer { server in
            let message = Self.message()
            let result = try await withSession(try server.configuration()) { try $0.send(message) }
            #expect(result.accepted == message.envelopeRecipients && result.rejected.isEmpty)
            #expect(result.reply.code == 250)

            let records = try server.messages()
            try #require(records.count == 1)
            let record = records[0]
            #expect(record["mail_from"]?.stringValue == "noreply@herald.test")
            #expect(record["rcpt_tos"]?.strings == ["jorg@example.com", "plain@example.com", "cc@example.com", "hidden@example.com"])
            #expect(record["helo"]?.stringValue == "client.herald.test")

            let parsed = try #require(record["parsed"])
            #expect(parsed["defects"]?.arrayValue?.isEmpty == true)
            #expect(parsed["content_type"]?.stringValue == "multipart/alternative")
            #expect(header(record, "Subject") == [message.subject])
            #expect(header(record, "Message-ID") == ["<ntf_01HX@herald.test>"])
            #expect(header(record, "MIME-Version") == ["1.0"])
            #expect(header(record, "X-Herald-Notification") == ["ntf_01HX"])
            #expect(header(record, "Date").count == 1)
            #expect(header(record, "Bcc").isEmpty)
            let addresses = try #require(parsed["addresses"])
            #expect(addresses["From"] == [["Ünïcode Sender", "noreply@herald.test"]])
            #expect(addresses["To"] == [["Jörg Müller", "jorg@example.com"], ["", "plain@example.com"]])
            #expect(addresses["Cc"] == [["Smith, John", "cc@example.com"]])
            #expect(addresses["Reply-To"] == [["Support", "support@herald.test"]])

            let parts = try #require(parsed["parts"]?.arrayValue)
            try #require(parts.count == 2)
            #expect(parts[0]["content_type"]?.stringValue == "text/plain")
            #expect(parts[0]["charset"]?.stringValue == "utf-8")
            #expect(parts[0]["transfer_encoding"]?.stringValue == "quoted-printable")
            #expect(unixLines(parts[0]["content"]?.stringValue) == Self.text)
            #expect(parts[1]["content_type"]?.stringValue == "text/html")
            #expect(unixLines(parts[1]["content"]?.stringValue) == Self.html)

            // On the wire: Bcc nowhere, headers ≤ 78 and QP lines ≤ 76 characters.
            let raw = String(decoding: try #require(record["raw_b64"]?.stringValue.flatMap { Base64.decode($0) }), as: UTF8.self)
            let head = String(raw[..<raw.range(of: "\r\n\r\n")!.lowerBound])
            #expect(!head.contains("hidden@example.com") && !head.contains("Secret"))
            #expect(head.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
            #expect(raw.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        }
    }

    @Test func mostlyNonLatinBodyTravelsAsBase64() async throws {
        try await withSMTPServer { server in
            var message = Self.message()
            message.text = String(repeating: "Здравствуйте! Ваш заказ отправлен.\n", count: 20)
            message.html = nil
            let sent = message
            _ = try await withSession(try server.configuration()) { try $0.send(sent) }
            let parsed = try #require(try server.messages().first?["parsed"])
            #expect(parsed["content_type"]?.stringValue == "text/plain")
            let part = try #require(parsed["parts"]?.arrayValue?.first)
            #expect(part["transfer_encoding"]?.stringValue == "base64")
            #expect(unixLines(part["content"]?.stringValue) == message.text)
        }
    }

    @Test func internationalisedAddressesUseSMTPUTF8() async throws {
        try await withSMTPServer { server in
            let message = EmailMessage(from: EmailAddress("noreply@herald.test"), to: [EmailAddress("jörg@bücher.example", name: "Jörg")],
                                       subject: "Hallo", text: "Hallo")
            _ = try await withSession(try server.configuration()) { try $0.send(message) }
            let record = try #require(try server.messages().first)
            #expect(record["mail_options"]?.strings.contains("SMTPUTF8") == true)
            #expect(record["rcpt_tos"]?.strings == ["jörg@bücher.example"])
            #expect(record["parsed"]?["addresses"]?["To"] == [["Jörg", "jörg@bücher.example"]])
        }
    }

    @Test func linesStartingWithADotSurviveDotStuffing() async throws {
        try await withSMTPServer { server in
            let data = Array("Subject: dots\r\n\r\n.\r\n..\r\n.leading\nbare LF\rbare CR\r\nend".utf8)
            _ = try await withSession(try server.configuration()) {
                try $0.send(from: "a@herald.test", to: ["b@example.com"], data: data)
            }
            let raw = try #require(try server.messages().first?["raw_b64"]?.stringValue.flatMap { Base64.decode($0) })
            #expect(String(decoding: raw, as: UTF8.self) == "Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\nbare LF\r\nbare CR\r\nend\r\n")
        }
    }

    @Test func dataPayloadStuffsDotsAndTerminates() {
        let payload = SMTPConnection.dataPayload(Array(".a\n..b\r\nc.\r.".utf8))
        #expect(String(decoding: payload, as: UTF8.self) == "..a\r\n...b\r\nc.\r\n..\r\n.\r\n")
        #expect(SMTPConnection.dataPayload(Array("x\r\n".utf8)) == Array("x\r\n.\r\n".utf8))
    }

    @Test func transient451ThenSuccessOnTheSameConnection() async throws {
        try await withSMTPServer(["--script", "451,250"]) { server in
            let message = Self.message()
            let (first, second) = try await withSession(try server.configuration()) { session in
                let first = Result { try session.send(message) }
                return (first, Result { try session.send(message) })
            }
            guard case .failure(let error as DeliveryError) = first else {
                Issue.record("first send should fail, got \(first)"); return
            }
            #expect(error.code == .transient && error.replyCode == 451 && error.isRetryable)
            #expect(try second.get().reply.code == 250)
            #expect(try server.messages().count == 1)
            #expect(server.connectionCount() == 1)
        }
    }

    @Test(arguments: [["--script", "550"], ["--rcpt-script", "550"]])
    func permanent550(options: [String]) async throws {
        try await withSMTPServer(options) { server in
            let configuration = try server.configuration()
            let error = await deliveryError {
                _ = try await withSession(configuration) { try $0.send(from: "a@herald.test", to: ["b@example.com"], data: Array("Subject: x\r\n\r\nhi".utf8)) }
            }
            #expect(error?.code == .permanent && error?.replyCode == 550 && error?.isPermanent == true)
            #expect(try server.messages().isEmpty)
        }
    }

    @Test func partlyRefusedRecipientsAreReportedNotThrown() async throws {
        try await withSMTPServer(["--rcpt-script", "250,550,450"]) { server in
            let result = try await withSession(try server.configuration()) {
                try $0.send(from: "a@herald.test", to: ["ok@example.com", "gone@example.com", "later@example.com"],
                            data: Array("Subject: x\r\n\r\nhi".utf8))
            }
            #expect(result.accepted == ["ok@example.com"])
            #expect(result.rejected.map(\.recipient) == ["gone@example.com", "later@example.com"])
            #expect(result.rejected.map(\.reply.code) == [550, 450])
            #expect(try server.messages().first?["rcpt_tos"]?.strings == ["ok@example.com"])
        }
    }

    @Test func allRecipientsRefusedWithOneTemporaryIsTransient() async throws {
        try await withSMTPServer(["--rcpt-script", "550,451"]) { server in
            let configuration = try server.configuration()
            let error = await deliveryError {
                _ = try await withSession(configuration) {
                    try $0.send(from: "a@herald.test", to: ["x@example.com", "y@example.com"], data: Array("hi".utf8))
                }
            }
            #expect(error?.code == .transient && error?.replyCode == 451)
        }
    }

    @Test(arguments: [["--no-ehlo"], ["--no-pipelining"]])
    func worksWithoutEHLOOrPipelining(options: [String]) async throws {
        try await withSMTPServer(options) { server in
            let message = Self.message()
            let pipelining = try await withSession(try server.configuration()) { session in
                _ = try session.send(message)
                _ = try session.send(message)
                return session.capabilities.pipelining
            }
            #expect(!pipelining)
            #expect(try server.messages().count == 2)
            #expect(server.connectionCount() == 1)
        }
    }

    @Test func injectionIsRefusedBeforeAnythingIsSent() async throws {
        try await withSMTPServer { server in
            var message = Self.message()
            message.subject = "Hello\r\nBcc: victim@example.com"
            let pool = SMTPConnectionPool()
            let configuration = try server.configuration()
            let error = await deliveryError { _ = try await pool.send(message, via: configuration) }
            #expect(error?.code == .invalidMessage)
            #expect(server.connectionCount() == 0)

            // On an open session: refused before writing, and the session stays usable.
            let (refused, usable) = try await withSession(configuration) { session in
                let refused = Result { try session.send(from: "a@herald.test", to: ["b@example.com>\r\nRSET"], data: Array("x".utf8)) }
                _ = try session.send(Self.message())
                return (refused, session.isUsable)
            }
            guard case .failure(let error as DeliveryError) = refused else { Issue.record("not refused"); return }
            #expect(error.code == .invalidMessage && usable)
            #expect(try server.messages().count == 1)
        }
    }

    @Test func connectionRefusedIsAConnectError() async throws {
        let configuration = SMTPConfiguration(host: "127.0.0.1", port: try unusedPort(), security: .none,
                                              connectTimeout: .seconds(2))
        let error = await deliveryError { _ = try await withSession(configuration) { _ in () } }
        #expect(error?.code == .connect && error?.isRetryable == true)
    }
}
