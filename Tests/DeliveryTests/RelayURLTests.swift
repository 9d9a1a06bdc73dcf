import Foundation
import Testing
@testable import Delivery

/// `HERALD_SMTP_URL`, the registry's names, and outbox file names.
@Suite struct RelayURLTests {
    @Test func smtpWithEverything() throws {
        let relay = try RelayURL("smtp://user%40corp:p%3Ass%2Fw:rd@mail.example.com:2525?security=starttls&from=noreply%2Bx@example.com&fromName=Herald%20Mail&auth=login&caFile=/etc/ssl/ca.pem")
        let configuration = relay.configuration
        #expect(configuration.host == "mail.example.com" && configuration.port == 2525)
        #expect(configuration.security == .starttls && configuration.authMechanism == .login)
        #expect(configuration.username == "user@corp" && configuration.password == "p:ss/w:rd")
        #expect(configuration.tls == .trusting(caFile: "/etc/ssl/ca.pem"))
        #expect(relay.from == EmailAddress("noreply+x@example.com", name: "Herald Mail"))
        #expect(!relay.description.contains("p:ss") && !relay.description.contains("p%3Ass"))
    }

    @Test func defaultsPerSchemeAndSecurity() throws {
        let smtp = try RelayURL("smtp://mail.example.com").configuration
        #expect(smtp.port == 587 && smtp.security == .starttls && smtp.username == nil && smtp.password == nil && smtp.tls == .system)
        let smtps = try RelayURL("SMTPS://u:p@mail.example.com/").configuration
        #expect(smtps.port == 465 && smtps.security == .tls && smtps.username == "u" && smtps.password == "p")
        let none = try RelayURL("smtp://localhost?security=none&from=dev@localhost")
        #expect(none.configuration.port == 25 && none.configuration.security == .none)
        #expect(none.from == EmailAddress("dev@localhost"))
        let ipv6 = try RelayURL("smtp://[::1]:1025?security=none").configuration
        #expect(ipv6.host == "::1" && ipv6.port == 1025)
        // A raw "@" in the password: the host is after the last one.
        #expect(try RelayURL("smtp://u:p@ss@mail.example.com").configuration.password == "p@ss")
    }

    @Test(arguments: [
        "http://mail.example.com", "mail.example.com:587", "smtp://", "smtp://:587", "smtp://host:0", "smtp://host:99999",
        "smtp://host:abc", "smtp://host/path", "smtp://host?securty=none", "smtp://host?security=ssl",
        "smtps://host?security=starttls", "smtp://host?auth=cram-md5", "smtp://host?from=not-an-address",
        "smtp://host?security=none&security=tls", "smtp://host#frag", "smtp://ho st",
    ])
    func badURLsAreRefusedWithoutShowingThePassword(_ text: String) {
        let withPassword = text.replacingOccurrences(of: "://", with: "://user:hunter2@")
        #expect(throws: RelayURLError.self) { try RelayURL(withPassword) }
        do {
            _ = try RelayURL(withPassword)
        } catch {
            #expect(!"\(error)".contains("hunter2") && "\(error)".hasPrefix("HERALD_SMTP_URL "))
        }
    }

    @Test func theRegistryMapsEveryCatalogName() throws {
        let names = ["email_pxyz", "email_postmark", "email_sendgrid", "email_resend", "sms_pxyz", "sms_twilio",
                     "webhook", "inapp_pxyz", "chat_slack"]
        var registry = ProviderRegistry(smtpPool: SMTPConnectionPool(), relayURL: try RelayURL("smtp://localhost"),
                                        smsURL: URL(string: "http://127.0.0.1:9/sms"), outbox: URL(fileURLWithPath: "/tmp/outbox"))
        #expect(ProviderRegistry.providerNames == names)
        #expect(registry.provider(named: "email_pxyz") is SMTPProvider)
        #expect(registry.provider(named: "email_postmark") is PostmarkProvider)
        #expect(registry.provider(named: "email_sendgrid") is SendGridProvider)
        #expect(registry.provider(named: "email_resend") is ResendProvider)
        #expect(registry.provider(named: "sms_pxyz") is SMSGatewayProvider)
        #expect(registry.provider(named: "sms_twilio") is TwilioProvider)
        #expect(registry.provider(named: "webhook") is WebhookProvider)
        #expect(registry.provider(named: "inapp_pxyz") is InAppProvider)
        #expect(registry.provider(named: "chat_slack") is SlackProvider)
        #expect(registry.provider(named: "push_fcm") == nil)
        registry.register(NoopProvider(), named: "email_pxyz")
        #expect(registry.provider(named: "email_pxyz") is NoopProvider)
    }

    @Test func outboxFileNamesStayInTheDirectory() {
        #expect(Outbox.fileName("ntf_01HX-a.b") == "ntf_01HX-a.b")
        #expect(Outbox.fileName("../../etc/passwd") == "_.._.._etc_passwd")
        #expect(Outbox.fileName(".hidden") == "_.hidden")
        #expect(Outbox.fileName("") == "_")
        let outbox = Outbox(directory: URL(fileURLWithPath: "/var/outbox"))
        #expect(outbox.fileURL(notificationId: "a/b", extension: "eml").path == "/var/outbox/a_b.eml")
    }
}
