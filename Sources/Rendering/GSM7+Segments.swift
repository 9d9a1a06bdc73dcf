/// How an SMS text goes out: its encoding and how many messages it takes.
/// One message holds 160 GSM-7 septets or 70 UCS-2 units; a longer text is
/// split into parts of 153 or 67, the rest of each part carrying the header
/// that joins them again.
public struct SMSMeasure: Sendable, Hashable {
    public enum Encoding: String, Sendable { case gsm7 = "GSM-7", ucs2 = "UCS-2" }

    public var encoding: Encoding
    /// GSM-7 septets (extension characters count two), or UTF-16 units for UCS-2.
    public var length: Int
    public var segments: Int
    /// The characters that force UCS-2, each once, in order (empty for GSM-7).
    public var ucs2Characters: [String]

    public init(_ text: String) {
        if let septets = GSM7.septetCount(text) {
            encoding = .gsm7
            length = septets
            segments = Self.segments(length, single: 160, part: 153)
            ucs2Characters = []
        } else {
            encoding = .ucs2
            length = text.utf16.count
            segments = Self.segments(length, single: 70, part: 67)
            // Whole characters, so an emoji with a modifier is shown as one.
            var seen: Set<String> = []
            ucs2Characters = text.compactMap { character in
                let scalars = character.unicodeScalars
                guard scalars.contains(where: { !GSM7.basic.contains($0) && !GSM7.extended.contains($0) }) else { return nil }
                let text = String(character)
                return seen.insert(text).inserted ? text : nil
            }
        }
    }

    private static func segments(_ length: Int, single: Int, part: Int) -> Int {
        length == 0 ? 0 : length <= single ? 1 : (length + part - 1) / part
    }
}
