/// The GSM 03.38 default alphabet an SMS is measured in: 160 septets fit one
/// message; one character outside it switches the message to UCS-2 (70).
public enum GSM7 {
    /// The basic table: one septet each. (ESC, 0x1B, is not a character.)
    static let basic: Set<Unicode.Scalar> = Set((
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    ).unicodeScalars)

    /// The extension table: an escape plus the character, two septets each.
    static let extended: Set<Unicode.Scalar> = Set("\u{0C}^{}\\[~]|€".unicodeScalars)

    /// Septets `text` takes, or nil when a character is outside GSM-7.
    public static func septetCount(_ text: String) -> Int? {
        var count = 0
        for scalar in text.unicodeScalars {
            if basic.contains(scalar) {
                count += 1
            } else if extended.contains(scalar) {
                count += 2
            } else {
                return nil
            }
        }
        return count
    }

    /// The characters outside GSM-7, each once, in order.
    public static func unsupportedCharacters(in text: String) -> [Unicode.Scalar] {
        var seen: Set<Unicode.Scalar> = []
        return text.unicodeScalars.filter { !basic.contains($0) && !extended.contains($0) && seen.insert($0).inserted }
    }
}
