/// Plain text from an email's HTML, for emails whose template has no text part.
///
/// Not a browser: a single forward scan over the UTF-8 that knows what email
/// HTML needs. `<head>`, `<style>`, `<script>`, comments and hidden elements
/// (the preheader) vanish; blocks become line breaks, paragraphs blank lines;
/// `<br>` is a newline, `<li>` a `- ` (or `1. `) line; a link whose text is
/// not its address reads `text (url)`; `<img>` gives its `alt`. Entities are
/// decoded, whitespace collapses and nothing is wrapped.
public enum HTMLToText {
    public static func convert(_ html: String) -> String {
        var converter = HTMLConverter(Array(html.utf8))
        converter.run()
        return converter.writer.finish()
    }
}

/// What the converter does with an element, looked up once per tag.
private struct ElementKind: OptionSet {
    let rawValue: UInt8
    /// Content is never text: skipped to the close tag.
    static let skipped = ElementKind(rawValue: 1)
    /// Never has content or a close tag.
    static let void = ElementKind(rawValue: 2)
    /// Separated from its surroundings by a blank line.
    static let paragraph = ElementKind(rawValue: 4)
    /// On a line of its own.
    static let line = ElementKind(rawValue: 8)
}

private let elementKinds: [String: ElementKind] = {
    var kinds: [String: ElementKind] = [:]
    for name in ["head", "style", "script", "title", "template", "noscript", "object", "svg"] { kinds[name, default: []].insert(.skipped) }
    for name in ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"] {
        kinds[name, default: []].insert(.void)
    }
    for name in ["p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "dl", "pre", "hr", "table", "figure"] {
        kinds[name, default: []].insert(.paragraph)
    }
    for name in [
        "div", "tr", "li", "dt", "dd", "section", "article", "header", "footer", "nav", "aside", "main", "center",
        "form", "address", "caption", "tbody", "thead", "tfoot", "figcaption", "details", "summary",
    ] { kinds[name, default: []].insert(.line) }
    return kinds
}()

private struct HTMLConverter {
    let source: [UInt8]
    var index = 0
    var writer = TextWriter()
    /// A hidden element being skipped, and how many of its name are open inside it.
    var hidden: (name: String, depth: Int)?
    var preDepth = 0
    /// Open lists: nil for `ul`, the next number for `ol`.
    var lists: [Int?] = []
    /// Open links: the address and where their text starts in the output.
    var links: [(href: String, start: Int)] = []

    init(_ source: [UInt8]) { self.source = source }

    mutating func run() {
        while index < source.count {
            let byte = source[index]
            if byte == UInt8(ascii: "<"), let end = markup(at: index) {
                index = end
            } else if byte == UInt8(ascii: "&") {
                let (decoded, end) = HTMLEntities.decode(source, at: index)
                for scalar in decoded.unicodeScalars { emit(scalar) }
                index = end
            } else if byte < 0x80 {
                if hidden == nil { preDepth > 0 ? writer.raw(byte) : writer.ascii(byte) }
                index += 1
            } else {
                let (scalar, length) = UTF8Scalar.decode(source, at: index)
                emit(scalar)
                index += length
            }
        }
    }

    private mutating func emit(_ scalar: Unicode.Scalar) {
        guard hidden == nil else { return }
        writer.scalar(scalar, preformatted: preDepth > 0)
    }

    /// Handles the markup at `start`; nil when `<` is just text.
    private mutating func markup(at start: Int) -> Int? {
        if matches("<!--", at: start) {
            return (find("-->", from: start + 4) ?? source.count - 3) + 3
        }
        guard start + 1 < source.count else { return nil }
        let next = source[start + 1]
        if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") { return (find(">", from: start) ?? source.count - 1) + 1 }
        guard let tag = HTMLTag.parse(source, at: start) else { return nil }
        if tag.isEnd { endTag(tag.name) } else { return startTag(tag) }
        return tag.end
    }

    private mutating func startTag(_ tag: HTMLTag) -> Int {
        let name = tag.name
        let kind = elementKinds[name] ?? []
        if let current = hidden {
            if name == current.name && !tag.selfClosing && !kind.contains(.void) { hidden!.depth += 1 }
            return tag.end
        }
        if kind.contains(.skipped) {
            // Skip to the matching close tag; without one, only the tag itself goes.
            guard let close = findClose(name, from: tag.end) else { return tag.end }
            return (find(">", from: close) ?? source.count - 1) + 1
        }
        if tag.isHidden {
            if !tag.selfClosing && !kind.contains(.void) { hidden = (name, 1) }
            return tag.end
        }
        switch name {
        case "br": writer.lineBreak()
        case "td", "th": writer.space()
        case "img": if let alt = tag.alt, !alt.isEmpty { writer.text(alt) }
        case "a": links.append((tag.href ?? "", writer.count))
        case "ul": lists.append(nil); writer.block(2)
        case "ol": lists.append(Int(tag.start ?? "") ?? 1); writer.block(2)
        case "li":
            writer.block(1)
            if case let number?? = lists.last {
                writer.text("\(number).")
                lists[lists.count - 1] = number + 1
            } else {
                writer.text("-")
            }
            writer.space()
        case "pre": preDepth += 1; writer.block(2)
        default:
            blockBreak(kind)
        }
        return tag.end
    }

    private mutating func endTag(_ name: String) {
        if let current = hidden {
            if name == current.name {
                hidden!.depth -= 1
                if hidden!.depth == 0 { hidden = nil }
            }
            return
        }
        switch name {
        case "a": if let link = links.popLast() { finishLink(link) }
        case "ul", "ol": _ = lists.popLast(); writer.block(2)
        case "td", "th": writer.space()
        case "pre": preDepth = max(0, preDepth - 1); writer.block(2)
        default:
            blockBreak(elementKinds[name] ?? [])
        }
    }

    private mutating func blockBreak(_ kind: ElementKind) {
        if kind.contains(.paragraph) { writer.block(2) } else if kind.contains(.line) { writer.block(1) }
    }

    /// Appends ` (url)` unless the link text already is the address.
    private mutating func finishLink(_ link: (href: String, start: Int)) {
        let href = link.href.trimmingWhitespace
        let lowered = href.lowercased()
        guard !href.isEmpty, !href.hasPrefix("#"), !lowered.hasPrefix("javascript:") else { return }
        let shown = lowered.hasPrefix("mailto:") || lowered.hasPrefix("tel:")
            ? String(href[href.index(after: href.firstIndex(of: ":")!)...]) : href
        let text = writer.text(since: link.start).trimmingWhitespace
        if text.isEmpty {
            writer.text(shown)
        } else if Self.comparable(text) != Self.comparable(href) {
            writer.space()
            writer.text("(\(shown))")
        }
    }

    /// An address without its scheme, `mailto:`, `www.` or trailing slash, lowercased.
    private static func comparable(_ address: String) -> Substring {
        var value = Substring(address.lowercased())
        for prefix in ["https://", "http://", "mailto:", "tel:", "www."] where value.hasPrefix(prefix) {
            value = value.dropFirst(prefix.count)
        }
        while value.hasSuffix("/") { value = value.dropLast() }
        return value
    }

    // MARK: Scanning

    /// Whether `literal` (lowercase ASCII) is at `position`, ignoring ASCII case.
    private func matches(_ literal: StaticString, at position: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= source.count else { return false }
        let pattern = literal.utf8Start
        for offset in 0..<count where ASCII.lower(source[position + offset]) != pattern[offset] { return false }
        return true
    }

    private func find(_ literal: StaticString, from position: Int) -> Int? {
        let first = literal.utf8Start[0]
        var i = position
        while i < source.count {
            if ASCII.lower(source[i]) == first && matches(literal, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// The `</name` that closes a raw element, case-insensitively.
    private func findClose(_ name: String, from position: Int) -> Int? {
        let name = Array(name.utf8)
        var i = position
        while let found = find("</", from: i) {
            let after = found + 2 + name.count
            if after <= source.count, zip(source[(found + 2)..<after], name).allSatisfy({ ASCII.lower($0) == $1 }),
               after == source.count || !ASCII.isNameByte(source[after]) {
                return found
            }
            i = found + 1
        }
        return nil
    }
}

/// Output with pending whitespace: nothing is written until the next visible
/// character, so blocks never stack blank lines and lines never end in spaces.
private struct TextWriter {
    private var out: [UInt8] = []
    private var pendingSpace = false
    private var pendingBreaks = 0

    var count: Int { out.count }

    mutating func ascii(_ byte: UInt8) {
        if ASCII.isSpace(byte) { pendingSpace = true; return }
        flush()
        out.append(byte)
    }

    /// Preformatted text: written as it is.
    mutating func raw(_ byte: UInt8) {
        flush()
        out.append(byte)
    }

    mutating func scalar(_ scalar: Unicode.Scalar, preformatted: Bool = false) {
        if scalar.isASCII { return preformatted ? raw(UInt8(scalar.value)) : ascii(UInt8(scalar.value)) }
        if scalar.isInvisible { return }
        if scalar.isWideSpace && !preformatted { pendingSpace = true; return }
        flush()
        UTF8.encode(scalar.isWideSpace ? " " : scalar) { out.append($0) }
    }

    mutating func text(_ string: String) { for scalar in string.unicodeScalars { self.scalar(scalar) } }
    mutating func space() { pendingSpace = true }
    mutating func block(_ breaks: Int) { pendingBreaks = max(pendingBreaks, breaks) }
    mutating func lineBreak() { pendingBreaks = min(pendingBreaks + 1, 2) }

    func text(since start: Int) -> String { String(decoding: out[min(start, out.count)...], as: UTF8.self) }

    private mutating func flush() {
        if pendingBreaks == 0 && !pendingSpace { return }
        defer { pendingSpace = false; pendingBreaks = 0 }
        guard let last = out.last else { return }
        if pendingBreaks > 0 {
            var trailing = 0
            while trailing < pendingBreaks, trailing < out.count, out[out.count - 1 - trailing] == 0x0A { trailing += 1 }
            // A line break makes the spaces before it pointless.
            while out.last == 0x20 { out.removeLast() }
            out.append(contentsOf: repeatElement(0x0A, count: pendingBreaks - trailing))
        } else if last != 0x0A && last != 0x20 {
            out.append(0x20)
        }
    }

    func finish() -> String {
        guard let first = out.firstIndex(where: { !ASCII.isSpace($0) }) else { return "" }
        let last = out.lastIndex(where: { !ASCII.isSpace($0) })!
        return String(decoding: out[first...last], as: UTF8.self)
    }
}

enum ASCII {
    static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D || byte == 0x0C }
    static func isLetter(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte | 0x20) }
    static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    static func isNameByte(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) || byte == 0x2D || byte == 0x3A }
}

enum UTF8Scalar {
    /// The scalar whose (valid: it came from a String) UTF-8 starts at `index`, and its length.
    static func decode(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int) {
        let lead = bytes[index]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        guard length > 1, index + length <= bytes.count else { return ("\u{FFFD}", 1) }
        var value = UInt32(lead) & (0xFF >> (length + 1))
        for offset in 1..<length { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }
}

extension Unicode.Scalar {
    /// The no-break spaces emails pad with: they collapse like spaces.
    var isWideSpace: Bool { value == 0xA0 || value == 0x2007 || value == 0x202F }

    /// Zero-width characters that preheader padding is made of.
    var isInvisible: Bool {
        switch value {
        case 0x00AD, 0x034F, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF: true
        default: false
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar.isWideSpace || (scalar.isASCII && ASCII.isSpace(UInt8(scalar.value))) }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSpace($0) })!
        return String(scalars[first...last])
    }
}
