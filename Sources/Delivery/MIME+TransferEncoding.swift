import Crypto

extension MIME {
    /// How a text body travels. Both are 7-bit safe, so messages never need
    /// the 8BITMIME extension and survive any relay.
    public enum TransferEncoding: String, Sendable {
        case quotedPrintable = "quoted-printable"
        case base64

        /// Quoted-printable unless more than a sixth of the bytes would need
        /// escaping. Each escaped byte costs 3 characters in QP against a flat
        /// 4/3 in base64, so past roughly that point (mostly non-Latin
        /// scripts: Cyrillic, Greek, CJK…) base64 is the smaller encoding,
        /// while QP keeps mostly-ASCII mail readable in its raw form.
        public static func choose(for bytes: [UInt8]) -> TransferEncoding {
            var escaped = 0
            for byte in bytes where byte >= 0x80 || byte == UInt8(ascii: "=") || (byte < 0x20 && byte != 9 && byte != 10 && byte != 13) {
                escaped += 1
            }
            return escaped * 6 > bytes.count ? .base64 : .quotedPrintable
        }

        /// Encodes a text body: line breaks normalised to CRLF first (text
        /// bodies are canonical CRLF text in MIME), then QP or base64 wrapped
        /// at 76 characters.
        public func encode(text: [UInt8]) -> [UInt8] {
            switch self {
            case .quotedPrintable:
                return QuotedPrintable.encode(text)
            case .base64:
                let encoded = Array(Base64.encode(MIME.normalizingLineBreaks(text)).utf8)
                var out: [UInt8] = []
                out.reserveCapacity(encoded.count + encoded.count / 38 + 2)
                var index = 0
                while index < encoded.count {
                    if index > 0 { out.append(contentsOf: [13, 10]) }
                    out.append(contentsOf: encoded[index..<min(index + 76, encoded.count)])
                    index += 76
                }
                return out
            }
        }
    }
}
