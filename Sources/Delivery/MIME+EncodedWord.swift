import Crypto

extension MIME {
    /// RFC 2047 encoded-words and RFC 5322 header folding: how header text
    /// outside printable ASCII is carried, and how headers stay within 78
    /// characters per line.
    ///
    /// Only the B (base64) form is produced: it is valid everywhere an
    /// encoded-word may stand (unstructured text and display-name phrases,
    /// where Q is restricted), and whitespace between adjacent words is
    /// dropped by decoders, so splitting text across several words is lossless.
    public enum EncodedWord {
        /// RFC 2047 §2: an encoded-word is at most 75 characters.
        public static let maxWordLength = 75
        /// RFC 5322 §2.1.1: lines SHOULD be at most 78 characters.
        public static let maxLineLength = 78
        private static let overhead = "=?UTF-8?B??=".utf8.count

        /// `text` as encoded-words, each holding whole Unicode scalars (a
        /// word must decode on its own). The first word is at most
        /// `firstWordLength` long so it can share a line with the field name.
        public static func encode(_ text: String, firstWordLength: Int = maxWordLength) -> [String] {
            var words: [String] = []
            var pending: [UInt8] = []
            func capacity() -> Int {
                let length = words.isEmpty ? max(firstWordLength, overhead + 4) : maxWordLength
                return (length - overhead) / 4 * 3  // raw bytes that fit as base64
            }
            func flush() {
                words.append("=?UTF-8?B?" + Base64.encode(pending) + "?=")
                pending.removeAll(keepingCapacity: true)
            }
            for scalar in text.unicodeScalars {
                let bytes = Array(String(scalar).utf8)
                if !pending.isEmpty && pending.count + bytes.count > capacity() { flush() }
                pending.append(contentsOf: bytes)
            }
            if !pending.isEmpty || words.isEmpty { flush() }
            return words
        }

        /// Whether `text` can appear in a header as it is: printable ASCII
        /// (and tabs) only, and nothing a decoder would take for an
        /// encoded-word.
        static func isPlain(_ text: String) -> Bool {
            text.utf8.allSatisfy { (0x20...0x7e).contains($0) || $0 == 0x09 } && !text.contains("=?")
        }

        /// An unstructured header (Subject, extra headers): kept as it is and
        /// folded at spaces when possible, otherwise encoded.
        static func unstructuredField(name: String, value: String) -> String {
            if isPlain(value) {
                // Runs of spaces stay attached to the following word, so
                // unfolding (removing the CRLFs) gives back the exact text.
                var tokens: [String] = []
                var leading = ""
                for piece in value.split(separator: " ", omittingEmptySubsequences: false) {
                    if piece.isEmpty { leading += " "; continue }
                    tokens.append(leading + piece)
                    leading = ""
                }
                if !leading.isEmpty { tokens.append(leading) }
                if let folded = fold(name: name, tokens: tokens, strict: true) { return folded }
            }
            let first = maxLineLength - name.utf8.count - 2
            return fold(name: name, tokens: encode(value, firstWordLength: min(first, maxWordLength)), strict: false)!
        }

        /// Joins `tokens` with single spaces after "Name:", breaking lines
        /// (CRLF + space) between tokens to stay within 78 characters. With
        /// `strict`, nil when some token cannot fit on a line of its own;
        /// otherwise such a token just makes a longer line (≤ 998 is legal).
        static func fold(name: String, tokens: [String], strict: Bool) -> String? {
            var out = name + ":"
            var column = out.utf8.count
            for token in tokens {
                let width = token.utf8.count + 1
                if column + width > maxLineLength && column > 1 {
                    if strict && width > maxLineLength { return nil }
                    out += "\r\n"
                    column = 0
                }
                out += " " + token
                column += width
            }
            return out
        }
    }
}
