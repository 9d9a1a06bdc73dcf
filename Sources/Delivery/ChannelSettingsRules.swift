import Crypto
import Foundation
import JSON

/// The rules a channel's `providerSettings` must follow, applied with the
/// same code when the API saves a channel (400 naming the field) and when
/// the worker sends through it (a permanent failure), so a setting the
/// worker would refuse is never stored in the first place.
public enum ChannelSettingsRules {
    public struct Issue: Sendable, Equatable, CustomStringConvertible {
        public let key: String
        public let problem: String
        public var description: String { "providerSettings.\(key): \(problem)" }
    }

    /// Settings that are URLs Herald posts to.
    static let urlKeys = ["url", "baseUrl", "webhookUrl"]
    /// Providers whose `from` is an e-mail address (for SMS it is a number or name).
    static let emailProviders: Set<String> = [SMTPProvider.name, PostmarkProvider.name, SendGridProvider.name, ResendProvider.name]
    /// Secrets never written into a line or header as they are (SASL
    /// base64-encodes a password, a signing secret only keys an HMAC), so
    /// any character may be part of them.
    static let opaqueKeys: Set<String> = ["password", "secret", "webhookPassword", "webhookSecret"]

    /// Every problem with `settings` for `provider`; empty when it may be
    /// saved and sent through. A value equal to `mask` stands for a stored
    /// secret kept as it is (checked when it was stored).
    public static func issues(provider: String, settings: JSONObject, mask: String? = nil) -> [Issue] {
        var issues: [Issue] = []
        func text(_ key: String) -> String? {
            guard let value = settings[key]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines),
                  !value.isEmpty, value != mask else { return nil }
            return value
        }
        if settings["caFile"] != nil {
            issues.append(Issue(key: "caFile", problem: "channels cannot name files; CA certificates are the operator's setting (HERALD_SMTP_CA_FILE)"))
        }
        issues += fallbackIssues(settings)
        for (key, value) in settings where !opaqueKeys.contains(key) && key != "headers" {
            guard let string = value.stringValue, string != mask, hasControl(string, allowingTab: false) else { continue }
            issues.append(Issue(key: key, problem: "must not contain CR, LF or other control characters"))
        }
        if emailProviders.contains(provider), let from = text("from"), !hasControl(from, allowingTab: false) {
            do { try EmailAddress(from).validate() } catch {
                issues.append(Issue(key: "from", problem: "is not a valid e-mail address"))
            }
        }
        if provider == SMTPProvider.name, let host = text("host"), !hasControl(host, allowingTab: false) {
            if let problem = hostProblem(host) { issues.append(Issue(key: "host", problem: problem)) }
        }
        for key in urlKeys {
            guard let url = text(key), !hasControl(url, allowingTab: false) else { continue }
            if let problem = urlProblem(url) { issues.append(Issue(key: key, problem: problem)) }
        }
        issues += deliveryEventIssues(provider: provider, text: text)
        if let headers = settings["headers"], !headers.isNull {
            if let object = headers.objectValue {
                for (name, value) in object {
                    if let problem = headerProblem(name: name, value: value, mask: mask) {
                        issues.append(Issue(key: "headers", problem: problem))
                    }
                }
            } else {
                issues.append(Issue(key: "headers", problem: "must be an object of header names to values"))
            }
        }
        return issues
    }

    /// The settings that verify a provider's delivery events must be usable:
    /// a SendGrid verification key that is a P-256 public key, a Standard
    /// Webhooks secret whose `whsec_` part is base64.
    static func deliveryEventIssues(provider: String, text: (String) -> String?) -> [Issue] {
        var issues: [Issue] = []
        if let key = text("webhookPublicKey") {
            let der = DeliveryEventReceiver.publicKeyDER(key)
            // A key that verifies nothing would refuse every event: check it parses as P-256.
            if der == nil || !ECDSA.isP256PublicKey(der!) {
                issues.append(Issue(key: "webhookPublicKey", problem: "must be the base64 P-256 verification key SendGrid shows"))
            }
        }
        if let secret = text("webhookSecret"), (try? WebhookSignature.key(fromSecret: secret)) == nil {
            issues.append(Issue(key: "webhookSecret", problem: "starts with whsec_ but the rest is not base64"))
        }
        return issues
    }

    /// An SMTP host: a name or an address, never one Herald refuses always.
    static func hostProblem(_ host: String) -> String? {
        guard host.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
                                                            || ".-:_[]".unicodeScalars.contains($0)) }) else {
            return "must be a host name or an IP address"
        }
        return literalProblem(host)
    }

    /// An absolute http(s) URL with a host that is not an address Herald
    /// refuses always.
    static func urlProblem(_ text: String) -> String? {
        guard let url = try? ProviderURL.validated(text, what: "url") else {
            return "must be an absolute http(s) URL with a host"
        }
        return url.host.flatMap(literalProblem)
    }

    /// A literal address Herald never connects to, or an IPv4 address in
    /// a form other than four decimal numbers (`2130706433`, `0x7f.1`):
    /// the resolver reads those as addresses, and nobody writes them but to
    /// slip an address past a check.
    static func literalProblem(_ written: String) -> String? {
        // A zone (`fe80::1%eth0`) does not change what kind of address it is.
        let host = String(written.prefix { $0 != "%" })
        guard let address = IPAddress(literal: host) else { return nil }
        if let never = OutboundPolicy.neverAllowedLiteral(host) { return never }
        if address.isIPv4 && IPAddress(strict: host) == nil {
            return "\(host) is the IPv4 address \(address) in an unusual form; write it as \(address)"
        }
        return nil
    }

    /// A webhook's extra header: a token name that is not one the provider
    /// writes itself (`Host`, `Content-Length`, the signature…), and a
    /// string value without CR, LF or other controls (tab allowed).
    static func headerProblem(name: String, value: JSONValue, mask: String?) -> String? {
        guard HTTPProviderClient.isToken(name) else { return "\(printable(name)) is not a valid header name" }
        guard !WebhookProvider.reservedHeaders.contains(name.lowercased()) else {
            return "cannot set \(name), which the webhook provider writes itself"
        }
        guard let text = value.stringValue ?? value.intValue.map(String.init) else { return "value of \(name) must be a string" }
        guard text == mask || !hasControl(text, allowingTab: true) else {
            return "value of \(name) contains CR, LF or another control character"
        }
        return nil
    }

    static func hasControl(_ text: String, allowingTab: Bool) -> Bool {
        text.unicodeScalars.contains { ($0.value < 0x20 && !(allowingTab && $0 == "\t")) || $0.value == 0x7f }
    }

    /// A header name for a message: controls shown as `?`.
    static func printable(_ text: String) -> String {
        EmailAddress.quoted(text)
    }
}
