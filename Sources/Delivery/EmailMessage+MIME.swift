import Foundation
import Crypto

extension EmailMessage {
    /// The message as RFC 5322/MIME bytes with CRLF line ends, ready for
    /// SMTP DATA (which still dot-stuffs it).
    ///
    /// Headers: Date, From, Reply-To, To, Cc (Bcc never appears), Subject,
    /// Message-ID, MIME-Version, the extra headers, then the content headers.
    /// Non-ASCII header text becomes RFC 2047 encoded-words; every header is
    /// folded to 78 characters. With both text and HTML the body is
    /// multipart/alternative (text first: the last part is the preferred
    /// one); with one of them it is a single text part. Bodies are
    /// quoted-printable or base64 as `MIME.TransferEncoding.choose` decides.
    public func render(date: Date = Date()) throws -> [UInt8] {
        try validate()
        var head: [String] = [
            "Date: " + MIME.rfc5322Date(date),
            Self.addressField("From", [from]),
        ]
        if let replyTo { head.append(Self.addressField("Reply-To", [replyTo])) }
        if !to.isEmpty { head.append(Self.addressField("To", to)) }
        if !cc.isEmpty { head.append(Self.addressField("Cc", cc)) }
        if to.isEmpty && cc.isEmpty { head.append("To: undisclosed-recipients:;") }
        head.append(MIME.EncodedWord.unstructuredField(name: "Subject", value: subject))
        head.append("Message-ID: " + messageID)
        head.append("MIME-Version: 1.0")
        for header in headers {
            head.append(MIME.EncodedWord.unstructuredField(name: header.name, value: header.value))
        }

        var parts: [Part] = []
        if let text { parts.append(Part(text, subtype: "plain")) }
        if let html { parts.append(Part(html, subtype: "html")) }

        var out: [UInt8] = []
        func line(_ text: String) { out.append(contentsOf: text.utf8); out.append(contentsOf: [13, 10]) }
        head.forEach(line)
        if parts.count == 1 {
            parts[0].headers.forEach(line)
            line("")
            out.append(contentsOf: parts[0].body)
            line("")
            return out
        }
        let boundary = Self.boundary(avoiding: parts.map(\.body))
        line("Content-Type: multipart/alternative;")
        line(" boundary=\"\(boundary)\"")
        line("")
        for part in parts {
            line("--" + boundary)
            part.headers.forEach(line)
            line("")
            out.append(contentsOf: part.body)
            line("")
        }
        line("--" + boundary + "--")
        return out
    }

    private struct Part {
        let headers: [String]
        let body: [UInt8]

        init(_ text: String, subtype: String) {
            let bytes = Array(text.utf8)
            let encoding = MIME.TransferEncoding.choose(for: bytes)
            headers = [
                "Content-Type: text/\(subtype); charset=UTF-8",
                "Content-Transfer-Encoding: \(encoding.rawValue)",
            ]
            body = encoding.encode(text: bytes)
        }
    }

    /// "=_" can never occur in quoted-printable or base64 output, so the
    /// boundary cannot collide with a body; the random part keeps it unique
    /// even for nested or forwarded messages. Checked anyway.
    private static func boundary(avoiding bodies: [[UInt8]]) -> String {
        while true {
            let candidate = "=_Herald_" + Hex.encode(SecureRandom.bytes(12))
            let needle = Array(candidate.utf8)
            if !bodies.contains(where: { contains($0, needle) }) { return candidate }
        }
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }

    private static func addressField(_ name: String, _ addresses: [EmailAddress]) -> String {
        var tokens: [String] = []
        for (index, address) in addresses.enumerated() {
            var mailbox = address.headerTokens()
            if index < addresses.count - 1 { mailbox[mailbox.count - 1] += "," }
            tokens += mailbox
        }
        return MIME.EncodedWord.fold(name: name, tokens: tokens, strict: false)!
    }
}

extension MIME {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// RFC 5322 §3.3 date in UTC, e.g. "Tue, 1 Jul 2003 10:52:37 +0000".
    /// Built by hand: DateFormatter depends on locale settings.
    public static func rfc5322Date(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekdays[Int(parts.tm_wday)]), \(parts.tm_mday) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) +0000"
    }
}
