import Foundation
import Crypto

/// A notification e-mail as the worker hands it over: addresses, subject,
/// text and/or HTML, extra headers and a stable Message-ID. `render()`
/// turns it into RFC 5322 bytes; `SMTPConnection.send` delivers it.
public struct EmailMessage: Sendable, Hashable {
    public var from: EmailAddress
    public var to: [EmailAddress]
    public var cc: [EmailAddress]
    /// Envelope-only recipients: never written into the headers.
    public var bcc: [EmailAddress]
    public var replyTo: EmailAddress?
    public var subject: String
    public var text: String?
    public var html: String?
    /// Extra headers, in order. The ones the builder writes itself (From,
    /// To, Subject, Content-Type…) are refused here.
    public var headers: [EmailHeader]
    /// With angle brackets, e.g. `<ntf_123@mail.example.com>`.
    public var messageID: String

    public init(
        from: EmailAddress, to: [EmailAddress], cc: [EmailAddress] = [], bcc: [EmailAddress] = [],
        replyTo: EmailAddress? = nil, subject: String, text: String? = nil, html: String? = nil,
        headers: [EmailHeader] = [], messageID: String? = nil
    ) {
        self.from = from
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.headers = headers
        self.messageID = messageID ?? Self.randomMessageID(domain: from.address.split(separator: "@").last.map(String.init) ?? "localhost")
    }

    /// `<NOTIFICATION_ID@DOMAIN>`: the same notification always gets the same
    /// id, so a retried send after a lost reply is recognisable as a
    /// duplicate by receivers and in logs. Characters that may not appear
    /// in a Message-ID (RFC 5322 dot-atom) are written as `=XX`, keeping
    /// the mapping one-to-one.
    public static func messageID(notificationId: String, domain: String) -> String {
        "<" + dotAtom(notificationId, keepDots: false) + "@" + dotAtom(domain.lowercased(), keepDots: true) + ">"
    }

    static func randomMessageID(domain: String) -> String {
        messageID(notificationId: Hex.encode(SecureRandom.bytes(16)), domain: domain)
    }

    private static func dotAtom(_ text: String, keepDots: Bool) -> String {
        let bytes = Array(text.utf8)
        var out = ""
        for (index, byte) in bytes.enumerated() {
            let isDot = byte == UInt8(ascii: ".")
            let dotOK = keepDots && isDot && index > 0 && index < bytes.count - 1 && bytes[index - 1] != byte
            if (isAtext(byte) && byte != UInt8(ascii: "=")) || dotOK {
                out.append(Character(Unicode.Scalar(byte)))
            } else {
                out += "=" + Hex.encode([byte]).uppercased()
            }
        }
        return out.isEmpty ? "=" : out
    }

    static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-/=?^_`{|}~".utf8.contains(byte)
        }
    }

    /// Every envelope recipient once (to, cc, then bcc), in order.
    public var envelopeRecipients: [String] {
        var seen = Set<String>()
        return (to + cc + bcc).map(\.address).filter { seen.insert($0.lowercased()).inserted }
    }

    /// Headers the builder writes itself; an extra header of the same name
    /// would duplicate or contradict them.
    static let reservedHeaders: Set<String> = [
        "from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "mime-version",
        "content-type", "content-transfer-encoding", "sender", "return-path",
    ]

    /// Everything that could corrupt the message or inject headers or SMTP
    /// commands is refused here, before a connection is even opened.
    public func validate() throws {
        try from.validate()
        try replyTo?.validate()
        for address in to + cc + bcc { try address.validate() }
        guard !envelopeRecipients.isEmpty else { throw DeliveryError(.invalidMessage, "message has no recipients") }
        guard text != nil || html != nil else { throw DeliveryError(.invalidMessage, "message has neither text nor HTML body") }
        try Self.checkHeaderValue("Subject", subject)
        for header in headers {
            let name = header.name.utf8
            guard !name.isEmpty, name.count <= 70, name.allSatisfy({ (33...126).contains($0) && $0 != UInt8(ascii: ":") }) else {
                throw DeliveryError(.invalidMessage, "invalid header name \(EmailAddress.quoted(header.name))")
            }
            guard !Self.reservedHeaders.contains(header.name.lowercased()) else {
                throw DeliveryError(.invalidMessage, "header \(header.name) is set by the message builder")
            }
            try Self.checkHeaderValue(header.name, header.value)
        }
        let id = messageID.utf8
        guard id.count <= 250, id.first == UInt8(ascii: "<"), id.last == UInt8(ascii: ">"), messageID.contains("@"),
              id.dropFirst().dropLast().allSatisfy({ (33...126).contains($0) && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }) else {
            throw DeliveryError(.invalidMessage, "invalid Message-ID \(EmailAddress.quoted(messageID))")
        }
    }

    private static func checkHeaderValue(_ name: String, _ value: String) throws {
        if value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) {
            throw DeliveryError(.invalidMessage, "header \(name) contains CR, LF or NUL")
        }
    }
}
