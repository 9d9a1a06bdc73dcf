/// One start or end tag, read from `<` to its `>`. Only the attributes the
/// converter uses are kept, with entities decoded.
struct HTMLTag {
    var name: String
    var isEnd: Bool
    var selfClosing = false
    var href: String?
    var alt: String?
    var start: String?
    /// `display:none` (the preheader) or `hidden`: readers never see it.
    var isHidden = false
    /// The index just past `>`.
    var end: Int

    /// nil when `<` does not start a tag (`a < b`) or the tag never closes.
    static func parse(_ source: [UInt8], at position: Int) -> HTMLTag? {
        var i = position + 1
        let isEnd = i < source.count && source[i] == UInt8(ascii: "/")
        if isEnd { i += 1 }
        guard i < source.count, ASCII.isLetter(source[i]) else { return nil }
        let nameStart = i
        while i < source.count, ASCII.isNameByte(source[i]) { i += 1 }
        var tag = HTMLTag(name: lowercase(source[nameStart..<i]), isEnd: isEnd, end: i)

        while i < source.count {
            let byte = source[i]
            if byte == UInt8(ascii: ">") {
                tag.end = i + 1
                return tag
            }
            if byte == UInt8(ascii: "/") {
                tag.selfClosing = i + 1 < source.count && source[i + 1] == UInt8(ascii: ">")
                i += 1
                continue
            }
            if ASCII.isSpace(byte) {
                i += 1
                continue
            }
            // An attribute: name, then optionally `=` and a quoted or bare value.
            let attributeStart = i
            while i < source.count, !ASCII.isSpace(source[i]), source[i] != UInt8(ascii: "="),
                  source[i] != UInt8(ascii: ">"), source[i] != UInt8(ascii: "/") { i += 1 }
            // Only names of the lengths we look for are worth a string.
            let attribute = (3...6).contains(i - attributeStart) ? lowercase(source[attributeStart..<i]) : ""
            while i < source.count, ASCII.isSpace(source[i]) { i += 1 }
            var value: Range<Int> = i..<i
            if i < source.count, source[i] == UInt8(ascii: "=") {
                i += 1
                while i < source.count, ASCII.isSpace(source[i]) { i += 1 }
                guard i < source.count else { return nil }
                if source[i] == UInt8(ascii: "\"") || source[i] == UInt8(ascii: "'") {
                    let quote = source[i]
                    let valueStart = i + 1
                    i = valueStart
                    while i < source.count, source[i] != quote { i += 1 }
                    guard i < source.count else { return nil }
                    value = valueStart..<i
                    i += 1
                } else {
                    let valueStart = i
                    while i < source.count, !ASCII.isSpace(source[i]), source[i] != UInt8(ascii: ">") { i += 1 }
                    value = valueStart..<i
                }
            }
            switch attribute {
            case "href" where tag.href == nil: tag.href = HTMLEntities.decodeAll(source[value])
            case "alt" where tag.alt == nil: tag.alt = HTMLEntities.decodeAll(source[value])
            case "start" where tag.start == nil: tag.start = HTMLEntities.decodeAll(source[value])
            case "style": tag.isHidden = tag.isHidden || hidesDisplay(source[value])
            case "hidden": tag.isHidden = true
            default: break
            }
        }
        return nil
    }

    /// Whether a style says `display:none`, ignoring case and whitespace. `d`
    /// occurs only first in the pattern, so a mismatch restarts cleanly.
    private static let displayNone = Array("display:none".utf8)

    private static func hidesDisplay(_ style: ArraySlice<UInt8>) -> Bool {
        let pattern = displayNone
        var matched = 0
        for byte in style where !ASCII.isSpace(byte) {
            let lower = ASCII.lower(byte)
            if lower == pattern[matched] {
                matched += 1
                if matched == pattern.count { return true }
            } else {
                matched = lower == pattern[0] ? 1 : 0
            }
        }
        return false
    }

    private static func lowercase(_ bytes: ArraySlice<UInt8>) -> String {
        if !bytes.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) { return String(decoding: bytes, as: UTF8.self) }
        return String(decoding: bytes.map(ASCII.lower), as: UTF8.self)
    }
}
