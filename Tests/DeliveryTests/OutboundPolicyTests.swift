import Foundation
import Testing
import JSON
import HTTP
@testable import Delivery

/// Where Herald may connect for a tenant (issue 11, "Outbound targets"):
/// the address rules, and real connects to loopback peers refused or
/// allowed by the policy.
@Suite struct OutboundPolicyTests {
    static let strict = OutboundPolicy()

    @Test func everySpellingOfAnAddressIsTheAddressItNames() throws {
        let loopback = try #require(IPAddress(literal: "127.0.0.1"))
        for spelling in ["2130706433", "0177.0.0.1", "0x7f.1", "0x7f000001", "127.1"] {
            #expect(IPAddress(literal: spelling) == loopback, "\(spelling)")
        }
        for spelling in ["::ffff:127.0.0.1", "::ffff:7f00:1", "[::ffff:7f00:1]", "64:ff9b::7f00:1", "::127.0.0.1"] {
            let address = try #require(IPAddress(literal: spelling), "\(spelling)")
            #expect(address.embeddedIPv4 == loopback, "\(spelling)")
            #expect(OutboundPolicy.kind(of: address) == .loopback, "\(spelling)")
        }
        #expect(IPAddress(literal: "mail.example.com") == nil)
        #expect(IPAddress(literal: "127.0.0.1 x") == nil)
    }

    @Test func addressesAreSortedIntoKinds() throws {
        let kinds: [(String, OutboundPolicy.Kind)] = [
            ("169.254.169.254", .metadata), ("fd00:ec2::254", .metadata), ("169.254.1.1", .linkLocal),
            ("fe80::1", .linkLocal), ("[fe80::1]", .linkLocal), ("0.0.0.0", .unspecified), ("0", .unspecified),
            ("::", .unspecified), ("224.0.0.1", .multicast), ("ff02::1", .multicast),
            ("255.255.255.255", .reserved), ("10.1.2.3", .private), ("172.16.0.1", .private), ("172.31.255.255", .private),
            ("192.168.1.1", .private), ("100.64.0.1", .private), ("fc00::1", .private), ("fd12::1", .private),
            ("127.0.0.1", .loopback), ("::1", .loopback), ("::ffff:169.254.169.254", .metadata),
            ("8.8.8.8", .global), ("172.32.0.1", .global), ("2606:4700::1", .global), ("::ffff:8.8.8.8", .global),
        ]
        for (text, kind) in kinds {
            let address = try #require(IPAddress(literal: text), "\(text)")
            #expect(OutboundPolicy.kind(of: address) == kind, "\(text)")
        }
    }

    @Test func theOperatorAllowsPrivateAndLoopbackButNeverLinkLocalOrMetadata() throws {
        let everything = try OutboundPolicy(parsing: "0.0.0.0/0, ::/0")
        for never in ["169.254.169.254", "fe80::1", "0.0.0.0", "::", "224.0.0.1", "fd00:ec2::254", "::ffff:169.254.169.254"] {
            let address = try #require(IPAddress(literal: never))
            #expect(everything.refusal(for: address)?.contains("never") == true, "\(never)")
        }
        let loopback = try #require(IPAddress(literal: "127.0.0.1"))
        let mapped = try #require(IPAddress(literal: "::ffff:127.0.0.1"))
        let privateAddress = try #require(IPAddress(literal: "10.2.3.4"))
        #expect(Self.strict.refusal(for: loopback)?.contains("HERALD_OUTBOUND_ALLOW") == true)
        #expect(Self.strict.refusal(for: mapped) != nil)
        #expect(Self.strict.refusal(for: privateAddress) != nil)
        #expect(Self.strict.refusal(for: try #require(IPAddress(literal: "93.184.216.34"))) == nil)
        let relay = try OutboundPolicy(parsing: "127.0.0.0/8,10.0.0.0/8")
        #expect(relay.refusal(for: loopback) == nil && relay.refusal(for: mapped) == nil && relay.refusal(for: privateAddress) == nil)
        #expect(relay.refusal(for: try #require(IPAddress(literal: "192.168.0.1"))) != nil)
        #expect(OutboundPolicy.loopback.refusal(for: try #require(IPAddress(literal: "::1"))) == nil)
    }

    @Test func aBadAllowListIsRefused() {
        for bad in ["10.0.0.1/8", "localhost", "10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/8/8", "2130706433/32"] {
            #expect(throws: OutboundPolicyError.self, "\(bad)") { try OutboundPolicy(parsing: bad) }
        }
        #expect((try? OutboundPolicy(parsing: " 127.0.0.0/8 , ::1/128 ,"))?.allowed.count == 2)
    }

    // MARK: SMTP, connecting for real

    func smtpSettings(_ host: String, _ port: Int) -> JSONObject {
        ["host": .string(host), "port": .int(Int64(port)), "security": "none", "from": "noreply@herald.test"]
    }

    @Test(arguments: ["127.0.0.1", "localhost", "2130706433", "0x7f.1", "::ffff:127.0.0.1"])
    func smtpToLoopbackIsRefusedWithoutTheOperatorsConsent(host: String) async throws {
        try await withSMTPServer { server in
            let pool = SMTPConnectionPool()
            let provider = SMTPProvider(pool: pool, outbound: Self.strict)
            let error = await deliveryError { _ = try await provider.send(emailMessage(), via: channel("email_pxyz", smtpSettings(host, server.port))) }
            #expect(error?.code == .permanent && error?.isRetryable == false, "\(String(describing: error))")
            #expect(error?.message.contains("refusing to connect") == true, "\(String(describing: error))")
            #expect(error?.message.contains("HERALD_OUTBOUND_ALLOW") == true, "\(String(describing: error))")
            await pool.shutdown()
            #expect(server.connectionCount() == 0)
        }
    }

    @Test func smtpToAnAllowedLoopbackSends() async throws {
        try await withSMTPServer { server in
            let pool = SMTPConnectionPool()
            let provider = SMTPProvider(pool: pool, outbound: try OutboundPolicy(parsing: "127.0.0.0/8"))
            _ = try await provider.send(emailMessage(), via: channel("email_pxyz", smtpSettings("2130706433", server.port)))
            await pool.shutdown()
            #expect(try server.messages().count == 1)
        }
    }

    @Test func smtpToLinkLocalIsRefusedEvenWhenEverythingIsAllowed() async throws {
        let provider = SMTPProvider(pool: SMTPConnectionPool(), outbound: try OutboundPolicy(parsing: "0.0.0.0/0,::/0"))
        for host in ["169.254.169.254", "fe80::1", "0.0.0.0"] {
            let error = await deliveryError { _ = try await provider.send(emailMessage(), via: channel("email_pxyz", smtpSettings(host, 25))) }
            #expect(error?.code == .permanent && error?.message.contains("never connects") == true, "\(host): \(String(describing: error))")
        }
    }

    /// The operator's CA file (HERALD_SMTP_CA_FILE) is trusted for a
    /// tenant's server besides the system store; a tenant's own `caFile` is not read.
    @Test func aTenantsServerIsTrustedThroughTheOperatorsCAFile() async throws {
        try await withSMTPServer(["--starttls", "--require-starttls"]) { server in
            let pool = SMTPConnectionPool()
            var settings = smtpSettings("localhost", server.port)
            settings["security"] = "starttls"
            let operatorCA = TLSConfiguration(trust: .systemAnd(caFile: try TestCertificates.shared().caFile))
            try operatorCA.preload()
            let trusted = SMTPProvider(pool: pool, outbound: .loopback, channelTLS: operatorCA)
            _ = try await trusted.send(emailMessage(), via: channel("email_pxyz", settings))
            #expect(try server.messages().first?["tls"]?.boolValue == true)

            settings["caFile"] = .string(try TestCertificates.shared().caFile)
            let untrusted = SMTPProvider(pool: pool, outbound: .loopback)
            let error = await deliveryError { _ = try await untrusted.send(emailMessage(id: "ntf_2"), via: channel("email_pxyz", settings)) }
            #expect(error?.code == .tls, "\(String(describing: error))")
            await pool.shutdown()
            #expect(try server.messages().count == 1)
        }
    }

    @Test func anUnreadableOperatorCAFileFailsAtPreload() {
        #expect(throws: DeliveryError.self) {
            try TLSConfiguration(trust: .systemAnd(caFile: "/nonexistent/ca.pem")).preload()
        }
    }

    // MARK: HTTP, connecting for real

    func webhookChannel(_ url: String) -> ChannelConfig { channel("webhook", ["url": .string(url)]) }

    @Test func webhooksToLoopbackAreRefusedInEverySpelling() async throws {
        let strictClient = HTTPProviderClient(timeout: .seconds(10), outbound: Self.strict)
        try await withReceiver { base, log in
            let port = URL(string: base)!.port!
            for url in ["http://127.0.0.1:\(port)/hook", "http://localhost:\(port)/hook", "http://2130706433:\(port)/hook",
                        "http://0177.0.0.1:\(port)/hook", "http://0x7f.1:\(port)/hook", "http://[::ffff:127.0.0.1]:\(port)/hook",
                        "http://[::ffff:7f00:1]:\(port)/hook"] {
                let error = await deliveryError {
                    _ = try await WebhookProvider(client: strictClient).send(webhookMessage(), via: webhookChannel(url))
                }
                #expect(error?.code == .permanent && error?.message.contains("refusing to connect") == true,
                        "\(url): \(String(describing: error))")
            }
            #expect(log.requests.isEmpty)
            // Allowed by the operator, the same receiver gets the request.
            _ = try await WebhookProvider(client: sharedClient).send(webhookMessage(), via: webhookChannel("http://localhost:\(port)/hook"))
            #expect(log.requests.count == 1)
        }
    }

    /// Plain http goes to the address that was checked (no second lookup a
    /// rebinding DNS server could answer differently), under its own name.
    @Test func plainHTTPGoesToTheCheckedAddressUnderItsWrittenName() async throws {
        try await withReceiver { base, log in
            let port = URL(string: base)!.port!
            _ = try await WebhookProvider(client: sharedClient).send(webhookMessage(),
                                                                     via: webhookChannel("http://localhost:\(port)/hook?x=1%202"))
            let request = try log.single()
            #expect(request.headers["Host"] == "localhost:\(port)")
            #expect(request.target == "/hook?x=1%202")
        }
        let address = try #require(IPAddress(literal: "93.184.216.34"))
        let pinned = try #require(HTTPProviderClient.pinned(URL(string: "http://user:pw@example.com:8080/a/b?q=1%20#f")!, to: address))
        #expect(pinned.url.absoluteString == "http://user:pw@93.184.216.34:8080/a/b?q=1%20#f" && pinned.host == "example.com:8080")
        let v6 = try #require(IPAddress(literal: "2606:4700::1"))
        let pinned6 = try #require(HTTPProviderClient.pinned(URL(string: "http://[2606:4700::1]/x")!, to: v6))
        #expect(pinned6.url.absoluteString == "http://[2606:4700::1]/x" && pinned6.host == "[2606:4700::1]")
        let named = try #require(HTTPProviderClient.pinned(URL(string: "http://hooks.example.com/x")!, to: v6))
        #expect(named.url.absoluteString == "http://[2606:4700::1]/x" && named.host == "hooks.example.com")
    }

    @Test func aRedirectToARefusedAddressIsNotFollowed() async throws {
        try await withReceiver({ _ in
            HTTPResponse(status: .found, headers: ["Location": "http://169.254.169.254/latest/meta-data/"])
        }) { base, log in
            let error = await deliveryError {
                _ = try await WebhookProvider(client: sharedClient).send(webhookMessage(), via: webhookChannel(base + "/hook"))
            }
            #expect(error?.code == .permanent && error?.message.contains("redirect") == true, "\(String(describing: error))")
            #expect(log.requests.count == 1)
        }
    }

    @Test func theOperatorsSMSGatewayIsNotChecked() async throws {
        try await withReceiver({ _ in jsonResponse(200, #"{"id":"gw-1"}"#) }) { base, log in
            let strictClient = HTTPProviderClient(timeout: .seconds(10), outbound: Self.strict)
            let provider = SMSGatewayProvider(client: strictClient, gatewayURL: URL(string: base + "/sms"))
            let receipt = try await provider.send(smsMessage(), via: channel("sms_pxyz", [:]))
            #expect(receipt.providerMessageId == "gw-1" && log.requests.count == 1)
            // A tenant's own gateway URL on loopback is refused.
            let error = await deliveryError { _ = try await provider.send(smsMessage(), via: channel("sms_pxyz", ["url": .string(base + "/sms")])) }
            #expect(error?.message.contains("refusing to connect") == true, "\(String(describing: error))")
            #expect(log.requests.count == 1)
        }
    }

    func webhookMessage() -> OutgoingMessage {
        OutgoingMessage(notificationId: "ntf_out", tenantId: "ten_1", type: "webhook", to: [], json: ["ok": true])
    }
}
