import Foundation
import JSON

/// `email_pxyz`: e-mail over SMTP through the shared `SMTPConnectionPool`.
///
/// Where it sends, in order: the channel's own server (`host`, `port`,
/// `security`, `username`, `password`), reached only where `outbound`
/// allows and trusted by the system store plus the operator's CA file
/// (`HERALD_SMTP_CA_FILE`); else the server's relay
/// (`HERALD_SMTP_URL`); else, in development, the outbox, as
/// `<notificationId>.eml` holding the exact MIME bytes. The sender is the
/// channel's `from`/`fromName`, else the relay's.
///
/// The Message-ID is derived from the notification id and the sender's
/// domain, so a retry after a lost reply carries the same id and receivers
/// can recognise the duplicate.
public struct SMTPProvider: NotificationProvider {
    public static let name = "email_pxyz"
    /// The sender of outbox mail when nothing names one.
    static let developmentSender = "noreply@localhost"

    let pool: SMTPConnectionPool
    let relay: RelayURL?
    let outbox: Outbox?
    /// Where a channel's own server may be.
    let outbound: OutboundPolicy
    /// The trust for a channel's own server (tenants cannot name CA files).
    let channelTLS: TLSConfiguration

    public init(pool: SMTPConnectionPool, relay: RelayURL? = nil, outbox: Outbox? = nil,
                outbound: OutboundPolicy = OutboundPolicy(), channelTLS: TLSConfiguration = .system) {
        self.pool = pool
        self.relay = relay
        self.outbox = outbox
        self.outbound = outbound
        self.channelTLS = channelTLS
    }

    public func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt {
        let server = try configuration(for: channel)
        guard server != nil || outbox != nil else {
            throw DeliveryError(.permanent, "\(Self.name): no SMTP server configured (channel host or HERALD_SMTP_URL)")
        }
        let email = try emailMessage(message, channel: channel, fallbackSender: server == nil ? Self.developmentSender : nil)

        guard let server else {
            let url = try await outbox!.write(try email.render(), notificationId: message.notificationId, extension: "eml")
            return DeliveryReceipt(providerMessageId: email.messageID, response: "written to \(url.path)")
        }
        let result = try await pool.send(email, via: server)
        var response = result.reply.summary
        if !result.rejected.isEmpty {
            response += "; refused: " + result.rejected.map { "\($0.recipient) \($0.reply.summary)" }.joined(separator: ", ")
        }
        return DeliveryReceipt(providerMessageId: email.messageID, response: String(response.prefix(HTTPProviderClient.receiptExcerpt)))
    }

    /// The server to send through: the channel's own when it names a host,
    /// else the relay, else nil (the outbox).
    func configuration(for channel: ChannelConfig) throws -> SMTPConfiguration? {
        guard let host = channel.string("host") else { return relay?.configuration }
        var security = SMTPConfiguration.Security.starttls
        if let value = channel.string("security") {
            guard let chosen = SMTPConfiguration.Security(rawValue: value.lowercased()) else {
                throw channel.settingError("security", "must be starttls, tls or none")
            }
            security = chosen
        }
        let defaultPort = switch security { case .tls: 465; case .starttls: 587; case .none: 25 }
        let port = try channel.integer("port", in: 1...65535) ?? defaultPort
        // A password is kept verbatim: spaces at its ends may be part of it.
        let password = channel.settings["password"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        return SMTPConfiguration(host: host, port: port, security: security,
                                 username: channel.string("username"), password: password, tls: channelTLS,
                                 outbound: outbound)
    }

    /// The notification as a multipart (text + HTML) e-mail.
    func emailMessage(_ message: OutgoingMessage, channel: ChannelConfig, fallbackSender: String?) throws -> EmailMessage {
        let from: EmailAddress
        if let address = channel.string("from") {
            from = EmailAddress(address, name: channel.string("fromName") ?? relay?.from?.name)
        } else if let relayFrom = relay?.from {
            from = EmailAddress(relayFrom.address, name: channel.string("fromName") ?? relayFrom.name)
        } else if let fallbackSender {
            from = EmailAddress(fallbackSender, name: channel.string("fromName"))
        } else {
            throw channel.settingError("from", "is missing (and HERALD_SMTP_URL names no from=)")
        }
        func addresses(_ list: [String]) -> [EmailAddress] {
            list.map { EmailAddress($0.trimmingCharacters(in: .whitespaces)) }
        }
        return EmailMessage(
            from: from, to: addresses(message.to), cc: addresses(message.cc), bcc: addresses(message.bcc),
            subject: message.subject ?? "", text: message.text, html: message.html,
            headers: [EmailHeader("X-Herald-Notification", message.notificationId)],
            messageID: EmailMessage.messageID(notificationId: message.notificationId,
                                              domain: EmailParties.domain(of: from.address)))
    }
}
