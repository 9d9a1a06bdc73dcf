import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Every provider Herald sends through, by the channel provider names of
/// `ChannelCatalog` (API.md §5). Built once at start-up from the server's
/// configuration and shared by all worker tasks; providers are stateless
/// apart from the SMTP pool and the HTTP session they share.
public struct ProviderRegistry: Sendable {
    /// The nine names, as in `ChannelCatalog.supportedNames`.
    public static let providerNames = [
        SMTPProvider.name, PostmarkProvider.name, SendGridProvider.name, ResendProvider.name,
        SMSGatewayProvider.name, TwilioProvider.name, WebhookProvider.name, InAppProvider.name, SlackProvider.name,
    ]

    private var providers: [String: any NotificationProvider]

    /// - Parameters:
    ///   - relayURL: the parsed `HERALD_SMTP_URL` (`try RelayURL(text)`).
    ///   - smsURL: `HERALD_SMS_URL`, the operator's SMS gateway.
    ///   - outbox: a directory for `.eml`/`.txt` files when no server is configured (development).
    ///   - urlSession: the session for HTTP providers; by default one of
    ///     their own (ephemeral, 30 s timeouts, no redirects).
    ///   - outbound: where tenants' channels may point (`HERALD_OUTBOUND_ALLOW`).
    ///   - channelTLS: the trust for tenants' SMTP servers (`HERALD_SMTP_CA_FILE`).
    ///   - eventsBaseURL: `HERALD_PUBLIC_URL` when set, for providers that take a
    ///     callback URL per message (Twilio's StatusCallback).
    public init(smtpPool: SMTPConnectionPool, relayURL: RelayURL? = nil, smsURL: URL? = nil, outbox: URL? = nil,
                urlSession: URLSession? = nil, outbound: OutboundPolicy = OutboundPolicy(),
                channelTLS: TLSConfiguration = .system, eventsBaseURL: String? = nil) {
        let client = urlSession.map { HTTPProviderClient(session: $0, outbound: outbound) } ?? HTTPProviderClient(outbound: outbound)
        let outbox = outbox.map(Outbox.init(directory:))
        let all: [(String, any NotificationProvider)] = [
            (SMTPProvider.name, SMTPProvider(pool: smtpPool, relay: relayURL, outbox: outbox, outbound: outbound,
                                             channelTLS: channelTLS)),
            (PostmarkProvider.name, PostmarkProvider(client: client)),
            (SendGridProvider.name, SendGridProvider(client: client)),
            (ResendProvider.name, ResendProvider(client: client)),
            (SMSGatewayProvider.name, SMSGatewayProvider(client: client, gatewayURL: smsURL, outbox: outbox)),
            (TwilioProvider.name, TwilioProvider(client: client, eventsBaseURL: eventsBaseURL)),
            (WebhookProvider.name, WebhookProvider(client: client)),
            (InAppProvider.name, InAppProvider()),
            (SlackProvider.name, SlackProvider(client: client)),
        ]
        providers = Dictionary(uniqueKeysWithValues: all)
    }

    /// The provider for a channel's `provider` name; nil for a name Herald
    /// cannot send through.
    public func provider(named name: String) -> (any NotificationProvider)? {
        providers[name]
    }

    /// Replaces (or adds) the provider for `name`: benchmarks put a
    /// `NoopProvider` where a real one would be, tests a recording one.
    public mutating func register(_ provider: any NotificationProvider, named name: String) {
        providers[name] = provider
    }
}
