import Foundation
import JSON

/// Reading a channel's `providerSettings`. Settings arrive as JSON typed by
/// whoever created the channel, so a port may be `587` or `"587"`; blank
/// strings count as absent. A missing or malformed setting is the channel's
/// configuration, not the message: it fails `.permanent` (retrying cannot
/// help), and the message names the setting, never its value.
extension ChannelConfig {
    /// A non-blank string (numbers and booleans as written), or nil.
    func string(_ key: String) -> String? {
        switch settings[key] {
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        case .int(let number): return String(number)
        case .bool(let flag): return String(flag)
        default: return nil
        }
    }

    /// A setting the provider cannot send without.
    func required(_ key: String) throws -> String {
        guard let value = string(key) else { throw settingError(key, "is missing") }
        return value
    }

    /// An integer setting within `range`, or nil when absent.
    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = string(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw settingError(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// `baseUrl` (or `defaultBase`) with `path` appended: a base with a path
    /// prefix (a test server's `/postmark`) keeps it, a trailing slash is not
    /// doubled.
    func endpoint(base key: String = "baseUrl", default defaultBase: String, path: String) throws -> URL {
        var base = string(key) ?? defaultBase
        while base.hasSuffix("/") { base.removeLast() }
        return try ProviderURL.validated(base + path, what: "\(provider) setting \(key)")
    }

    func settingError(_ key: String, _ problem: String) -> DeliveryError {
        DeliveryError(.permanent, "\(provider) channel setting \(key) \(problem)")
    }
}

enum ProviderURL {
    /// Only absolute http(s) URLs with a host: a `file:` or schemeless URL
    /// in a channel must never reach URLSession.
    static func validated(_ text: String, what: String) throws -> URL {
        guard !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f }),
              let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty,
              let url = components.url else {
            throw DeliveryError(.permanent, "\(what) is not an http(s) URL")
        }
        return url
    }

    /// `scheme://host:port` only: paths and queries can hold credentials
    /// (a Slack webhook path is one), so messages never show them.
    static func origin(_ url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? "http"
        let host = url.host ?? "?"
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}

/// The sender and recipients of an e-mail sent through an HTTP API, checked
/// with the same rules as SMTP so an address cannot smuggle in a second
/// recipient (a comma in Postmark's `To`) or a header.
struct EmailParties {
    let from: EmailAddress
    let to: [EmailAddress]
    let cc: [EmailAddress]
    let bcc: [EmailAddress]

    init(_ message: OutgoingMessage, _ channel: ChannelConfig) throws {
        from = EmailAddress(try channel.required("from"), name: channel.string("fromName"))
        do { try from.validate() } catch { throw channel.settingError("from", "is not a valid sender address") }
        // Each address once across to, cc and bcc (SendGrid refuses repeats).
        var seen = Set<String>()
        func unique(_ list: [String]) throws -> [EmailAddress] {
            try list.compactMap { raw in
                let address = EmailAddress(raw.trimmingCharacters(in: .whitespaces))
                try address.validate()
                return seen.insert(address.address.lowercased()).inserted ? address : nil
            }
        }
        to = try unique(message.to)
        cc = try unique(message.cc)
        bcc = try unique(message.bcc)
        guard !to.isEmpty else { throw DeliveryError(.invalidMessage, "message has no recipients") }
        guard message.text != nil || message.html != nil else {
            throw DeliveryError(.invalidMessage, "message has neither text nor HTML body")
        }
        if let subject = message.subject, subject.utf8.contains(where: { $0 == 10 || $0 == 13 || $0 == 0 }) {
            throw DeliveryError(.invalidMessage, "subject contains CR, LF or NUL")
        }
    }

    /// `"Name" <address>` for APIs that take a mailbox string (Postmark, Resend).
    static func mailbox(_ address: EmailAddress) -> String {
        guard let name = address.name, !name.isEmpty else { return address.address }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\" <\(address.address)>"
    }

    /// The Message-ID a retry of the same notification repeats.
    func messageID(_ notificationId: String) -> String {
        EmailMessage.messageID(notificationId: notificationId, domain: Self.domain(of: from.address))
    }

    static func domain(of address: String) -> String {
        address.split(separator: "@").last.map(String.init) ?? "localhost"
    }
}

extension OutgoingMessage {
    /// The single phone number of an SMS. More than one is refused rather
    /// than sent one by one: a retry after a partial failure would text the
    /// first recipients twice, and SMS APIs have no idempotency key to stop it.
    func smsRecipient() throws -> String {
        let numbers = Array(Set(to.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }))
        guard numbers.count == 1, let number = numbers.first else {
            throw DeliveryError(.invalidMessage, numbers.isEmpty ? "message has no recipients"
                                : "an SMS goes to one phone number, this one has \(numbers.count)")
        }
        guard !number.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw DeliveryError(.invalidMessage, "phone number contains control characters")
        }
        return number
    }

    /// The text of an SMS or chat message: the text body, else the title.
    func plainText() throws -> String {
        guard let body = text ?? title ?? subject, !body.isEmpty else {
            throw DeliveryError(.invalidMessage, "message has no text")
        }
        return body
    }
}
