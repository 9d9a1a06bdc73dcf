import Foundation
import Testing
import JSON
import Crypto
@testable import Delivery

/// `email_pxyz` through a real SMTP server (aiosmtpd), through the relay of
/// `HERALD_SMTP_URL`, and into the development outbox.
@Suite struct SMTPProviderTests {
    func header(_ record: JSONValue, _ name: String) -> [String] {
        (record["parsed"]?["headers"]?.arrayValue ?? []).compactMap { pair in
            pair.strings.first?.lowercased() == name.lowercased() ? pair.strings.last : nil
        }
    }

    @Test func sendsMultipartWithTheNotificationsMessageIDToTheChannelsServer() async throws {
        try await withSMTPServer { server in
            let pool = SMTPConnectionPool()
            let provider = SMTPProvider(pool: pool, outbound: .loopback)
            let settings: JSONObject = ["host": "127.0.0.1", "port": .int(Int64(server.port)), "security": "none",
                                        "from": "noreply@Mail.Herald.test", "fromName": "Herald Bot"]
            let receipt = try await provider.send(emailMessage(), via: channel("email_pxyz", settings))
            #expect(receipt.providerMessageId == "<ntf_01HXTEST@mail.herald.test>")
            #expect(receipt.response?.hasPrefix("250 ") == true)

            // A retry of the same notification carries the same Message-ID.
            var retry = emailMessage()
            retry.attempt = 2
            _ = try await provider.send(retry, via: channel("email_pxyz", settings.merging(["port": .string(String(server.port))])))
            await pool.shutdown()

            let records = try server.messages()
            try #require(records.count == 2)
            let record = records[0]
            #expect(record["mail_from"]?.stringValue == "noreply@Mail.Herald.test")
            #expect(record["rcpt_tos"]?.strings == ["jorg@example.com", "plain@example.com", "cc@example.com", "hidden@example.com"])
            let parsed = try #require(record["parsed"])
            #expect(parsed["defects"]?.arrayValue?.isEmpty == true)
            #expect(parsed["content_type"]?.stringValue == "multipart/alternative")
            #expect(header(record, "Message-ID") == ["<ntf_01HXTEST@mail.herald.test>"])
            #expect(header(records[1], "Message-ID") == ["<ntf_01HXTEST@mail.herald.test>"])
            #expect(header(record, "X-Herald-Notification") == ["ntf_01HXTEST"])
            #expect(header(record, "Subject") == ["Ihre Bestellung für Jörg 🚚"])
            #expect(header(record, "Bcc").isEmpty)
            #expect(parsed["addresses"]?["From"] == [["Herald Bot", "noreply@Mail.Herald.test"]])
            let parts = try #require(parsed["parts"]?.arrayValue)
            try #require(parts.count == 2)
            #expect(parts[0]["content_type"]?.stringValue == "text/plain")
            #expect(parts[0]["content"]?.stringValue?.hasPrefix("Hallo Jörg — 注文") == true)
            #expect(parts[1]["content_type"]?.stringValue == "text/html")
            #expect(parts[1]["content"]?.stringValue?.hasPrefix("<p>Hallo J&ouml;rg — 注文</p>") == true)
        }
    }

    @Test func withoutAHostItSendsThroughTheRelayWithItsLoginAndSender() async throws {
        try await withSMTPServer(["--auth", "relay:p@ss word", "--auth-insecure"]) { server in
            let pool = SMTPConnectionPool()
            let relay = try RelayURL("smtp://relay:p%40ss%20word@127.0.0.1:\(server.port)?security=none&from=relay@herald.test&fromName=Herald%20Relay")
            let provider = SMTPProvider(pool: pool, relay: relay)  // the operator's relay is not checked
            let receipt = try await provider.send(emailMessage(), via: channel("email_pxyz", [:]))
            #expect(receipt.providerMessageId == "<ntf_01HXTEST@herald.test>")
            // A channel's own sender wins over the relay's, on the same relay.
            _ = try await provider.send(emailMessage(id: "ntf_2"), via: channel("email_pxyz", ["from": "team@acme.test"]))
            await pool.shutdown()

            let records = try server.messages()
            try #require(records.count == 2)
            #expect(records[0]["authenticated"]?.boolValue == true && records[0]["login"]?.stringValue == "relay")
            #expect(records[0]["parsed"]?["addresses"]?["From"] == [["Herald Relay", "relay@herald.test"]])
            #expect(records[1]["mail_from"]?.stringValue == "team@acme.test")
            #expect(header(records[1], "Message-ID") == ["<ntf_2@acme.test>"])
        }
    }

    @Test func serverRefusalsKeepTheirRetryDecision() async throws {
        try await withSMTPServer(["--script", "451,554"]) { server in
            let pool = SMTPConnectionPool()
            let provider = SMTPProvider(pool: pool, outbound: .loopback)
            let settings: JSONObject = ["host": "127.0.0.1", "port": .int(Int64(server.port)), "security": "none", "from": "a@herald.test"]
            let busy = await deliveryError { _ = try await provider.send(emailMessage(), via: channel("email_pxyz", settings)) }
            #expect(busy?.isRetryable == true && busy?.replyCode == 451)
            let refused = await deliveryError { _ = try await provider.send(emailMessage(), via: channel("email_pxyz", settings)) }
            #expect(refused?.isPermanent == true && refused?.replyCode == 554)
            await pool.shutdown()
        }
    }

    @Test func withNeitherServerNorRelayItWritesTheExactMIMEToTheOutbox() async throws {
        let directory = try TestPaths.makeTempDirectory("herald-outbox")
        let provider = SMTPProvider(pool: SMTPConnectionPool(), outbox: Outbox(directory: directory))
        let receipt = try await provider.send(emailMessage(), via: channel("email_pxyz", ["from": "noreply@herald.test"]))
        let file = directory.appendingPathComponent("ntf_01HXTEST.eml")
        #expect(receipt == DeliveryReceipt(providerMessageId: "<ntf_01HXTEST@herald.test>", response: "written to \(file.path)"))

        let bytes = try [UInt8](Data(contentsOf: file))
        // The same bytes the SMTP client would send, apart from the Date
        // header and the random MIME boundary.
        let expected = try provider.emailMessage(emailMessage(), channel: channel("email_pxyz", ["from": "noreply@herald.test"]),
                                                  fallbackSender: nil).render()
        func withoutDate(_ data: [UInt8]) -> [String] {
            let text = String(decoding: data, as: UTF8.self)
            let boundary = text.firstRange(of: /boundary="([^"]+)"/).map { String(text[$0].dropFirst(10).dropLast()) } ?? "?"
            return text.replacingOccurrences(of: boundary, with: "BOUNDARY").components(separatedBy: "\r\n").filter { !$0.hasPrefix("Date: ") }
        }
        #expect(withoutDate(bytes) == withoutDate(expected))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\r\nMessage-ID: <ntf_01HXTEST@herald.test>\r\n"))
        #expect(text.contains("Content-Type: multipart/alternative;"))

        // No sender anywhere: the development default.
        _ = try await provider.send(emailMessage(id: "ntf_dev"), via: channel("email_pxyz", [:]))
        let dev = try String(contentsOf: directory.appendingPathComponent("ntf_dev.eml"), encoding: .utf8)
        #expect(dev.contains("From: <noreply@localhost>") && dev.contains("Message-ID: <ntf_dev@localhost>"))
    }

    @Test func nothingConfiguredOrBadSettingsFailPermanently() async throws {
        let provider = SMTPProvider(pool: SMTPConnectionPool())
        let nothing = await deliveryError { _ = try await provider.send(emailMessage(), via: channel("email_pxyz", [:])) }
        #expect(nothing?.code == .permanent)
        for settings: JSONObject in [["host": "127.0.0.1", "security": "ssl", "from": "a@b.test"],
                                     ["host": "127.0.0.1", "port": 70000, "from": "a@b.test"],
                                     ["host": "127.0.0.1", "port": "abc", "from": "a@b.test"],
                                     ["host": "127.0.0.1", "port": 25, "security": "none"]] {
            let error = await deliveryError { _ = try await provider.send(emailMessage(), via: channel("email_pxyz", settings)) }
            #expect(error?.code == .permanent, "\(settings)")
        }
    }

    @Test func channelSettingsBecomeTheSMTPConfiguration() throws {
        let operatorTrust = TLSConfiguration(trust: .systemAnd(caFile: "/etc/ca.pem"))
        let provider = SMTPProvider(pool: SMTPConnectionPool(), channelTLS: operatorTrust)
        let tls = try #require(try provider.configuration(for: channel("email_pxyz", [
            "host": "smtp.example.com", "security": "TLS", "username": "u", "password": " pw ", "caFile": "/etc/shadow"])))
        #expect(tls.port == 465 && tls.security == .tls && tls.username == "u" && tls.password == " pw ")
        // A channel's caFile is ignored: the trust is the operator's.
        #expect(tls.tls == operatorTrust)
        #expect(tls.outbound == OutboundPolicy())
        let starttls = try #require(try SMTPProvider(pool: SMTPConnectionPool()).configuration(for: channel("email_pxyz", ["host": "smtp.example.com"])))
        #expect(starttls.port == 587 && starttls.security == .starttls && starttls.tls == .system && starttls.password == nil)
        let plain = try #require(try provider.configuration(for: channel("email_pxyz", ["host": "localhost", "security": "none"])))
        #expect(plain.port == 25)
        #expect(try provider.configuration(for: channel("email_pxyz", ["host": "  "])) == nil)
    }
}

extension JSONObject {
    func merging(_ other: JSONObject) -> JSONObject {
        var copy = self
        for (key, value) in other { copy[key] = value }
        return copy
    }
}
