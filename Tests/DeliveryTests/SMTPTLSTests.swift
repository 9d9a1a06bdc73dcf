import Foundation
import Testing
import JSON
@testable import Delivery

/// STARTTLS, implicit TLS and AUTH against aiosmtpd with a throwaway CA.
@Suite struct SMTPTLSTests {
    static func message() -> EmailMessage {
        EmailMessage(from: EmailAddress("noreply@herald.test"), to: [EmailAddress("user@example.com")],
                     subject: "Über TLS", text: "Geheim: ✓", messageID: EmailMessage.messageID(notificationId: "ntf_tls", domain: "herald.test"))
    }

    @Test(arguments: [SMTPConfiguration.AuthMechanism.plain, .login])
    func starttlsWithTestCAAndAuth(mechanism: SMTPConfiguration.AuthMechanism) async throws {
        try await withSMTPServer(["--starttls", "--require-starttls", "--auth", "herald:s3cret pass"]) { server in
            // "localhost": a DNS name, so SNI and the DNS SAN are used.
            let configuration = try server.configuration(.starttls, host: "localhost", username: "herald",
                                                        password: "s3cret pass", mechanism: mechanism)
            let (encrypted, offered) = try await withSession(configuration) { session in
                _ = try session.send(Self.message())
                return (session.isEncrypted, session.capabilities.authMechanisms)
            }
            #expect(encrypted && offered.isSuperset(of: ["PLAIN", "LOGIN"]))
            let record = try #require(try server.messages().first)
            #expect(record["tls"]?.boolValue == true)
            #expect(record["authenticated"]?.boolValue == true)
            #expect(record["login"]?.stringValue == "herald")
            #expect(record["auth_mechanism"]?.stringValue == mechanism.rawValue)
            #expect(record["parsed"]?["parts"]?.arrayValue?.first?["content"]?.stringValue == "Geheim: ✓")
        }
    }

    @Test func implicitTLSWithAnIPAddressAndAuth() async throws {
        try await withSMTPServer(["--tls", "--auth", "herald:pw"]) { server in
            // 127.0.0.1: matched against the IP SAN, no SNI.
            let configuration = try server.configuration(.tls, host: "127.0.0.1", username: "herald", password: "pw")
            let encrypted = try await withSession(configuration) { session in
                _ = try session.send(Self.message())
                return session.isEncrypted
            }
            #expect(encrypted)
            let record = try #require(try server.messages().first)
            #expect(record["tls"]?.boolValue == true && record["auth_mechanism"]?.stringValue == "PLAIN")
        }
    }

    @Test(arguments: [["--starttls"], ["--tls"]])
    func wrongCAIsAVerificationError(options: [String]) async throws {
        try await withSMTPServer(options) { server in
            let security: SMTPConfiguration.Security = options == ["--tls"] ? .tls : .starttls
            let configuration = try server.configuration(security, host: "localhost",
                                                        trust: .trusting(caFile: TestCertificates.shared().otherCAFile))
            let error = await deliveryError { _ = try await withSession(configuration) { _ in () } }
            #expect(error?.code == .tls && error?.isPermanent == true)
            #expect(error?.message.contains("certificate verification failed") == true, "\(String(describing: error))")
            #expect(try server.messages().isEmpty)
        }
    }

    @Test func systemStoreDoesNotTrustTheTestCA() async throws {
        try await withSMTPServer(["--tls"]) { server in
            let configuration = try server.configuration(.tls, host: "localhost", trust: .system)
            let error = await deliveryError { _ = try await withSession(configuration) { _ in () } }
            #expect(error?.code == .tls)
        }
    }

    @Test func hostNameMismatchIsAVerificationError() async throws {
        try await withSMTPServer(["--starttls"]) { server in
            var configuration = try server.configuration(.starttls, host: "127.0.0.1")
            configuration.tlsServerName = "mail.example.com"
            let error = await deliveryError { _ = try await withSession(configuration) { _ in () } }
            #expect(error?.code == .tls)
            #expect(error?.message.contains("mail.example.com") == true, "\(String(describing: error))")
        }
    }

    @Test func requiredStarttlsThatIsNotOfferedStopsInClear() async throws {
        try await withSMTPServer(["--auth", "herald:pw", "--auth-insecure"]) { server in
            let configuration = try server.configuration(.starttls, username: "herald", password: "pw")
            let error = await deliveryError { _ = try await withSession(configuration) { try $0.send(Self.message()) } }
            #expect(error?.code == .tls && error?.message.contains("STARTTLS") == true)
            #expect(try server.messages().isEmpty)
        }
    }

    @Test(arguments: [SMTPConfiguration.AuthMechanism.plain, .login])
    func wrongPasswordIsPermanent535(mechanism: SMTPConfiguration.AuthMechanism) async throws {
        try await withSMTPServer(["--starttls", "--auth", "herald:right"]) { server in
            let configuration = try server.configuration(.starttls, host: "localhost", username: "herald",
                                                        password: "wrong", mechanism: mechanism)
            let error = await deliveryError { _ = try await withSession(configuration) { _ in () } }
            #expect(error?.code == .permanent && error?.replyCode == 535 && error?.isPermanent == true)
            #expect(error?.message.contains("wrong") == false)  // never the password
        }
    }

    @Test func configurationDescriptionHidesThePassword() {
        let configuration = SMTPConfiguration(host: "smtp.example.com", port: 587, username: "u", password: "hunter2")
        #expect(!configuration.description.contains("hunter2") && configuration.description.contains("smtp.example.com:587"))
    }
}
