/// Plain text from an email's HTML, for emails whose template has no text part.
///
/// Not a browser: a single forward scan that knows what email HTML needs.
/// `<head>`, `<style>`, `<script>`, comments and hidden elements (the
/// preheader) vanish; blocks become line breaks, paragraphs blank lines;
/// `<br>` is a newline, `<li>` a `- ` (or `1. `) line; a link whose text is
/// not its address reads `text (url)`; `<img>` gives its `alt`. Entities are
/// decoded, whitespace collapses and nothing is wrapped.
public enum HTMLToText {
    public static func convert(_ html: String) -> String {
        var converter = HTMLConverter(Array(html.unicodeScalars))
        converter.run()
        return converter.writer.finish()
    }
}

/// Elements whose content is never text.
private let skippedElements: Set<String> = ["head", "style", "script", "title", "template", "noscript", "object", "svg"]
private let voidElements: Set<String> = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
]
/// Blocks separated by a blank line; other blocks get a line of their own.
private let paragraphElements: Set<String> = [
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "dl", "pre", "hr", "table", "figure",
]
private let lineElements: Set<String> = [
    "div", "tr", "li", "dt", "dd", "section", "article", "header", "footer", "nav", "aside", "main", "center",
    "form", "address", "caption", "tbody", "thead", "tfoot", "figcaption", "details", "summary",
]

private struct HTMLConverter {
    let source: [Unicode.Scalar]
    var index = 0
    var writer = TextWriter()
    /// A hidden element being skipped, and how many of its name are open inside it.
    var hidden: (name: String, depth: Int)?
    var preDepth = 0
    /// Open lists: nil for `ul`, the next number for `ol`.
    var lists: [Int?] = []
    /// Open links: the address and where their text starts in the output.
    var links: [(href: String, start: Int)] = []

    init(_ source: [Unicode.Scalar]) { self.source = source }

    mutating func run() {
        while index < source.count {
            let scalar = source[index]
            if scalar == "<", let end = markup(at: index) {
                index = end
            } else if scalar == "&" {
                let (decoded, end) = HTMLEntities.decode(source, at: index)
                for scalar in decoded.unicodeScalars { emit(scalar) }
                index = end
            } else {
                emit(scalar)
                index += 1
            }
        }
    }

    private mutating func emit(_ scalar: Unicode.Scalar) {
        guard hidden == nil else { return }
        if preDepth > 0 { writer.raw(scalar) } else { writer.char(scalar) }
    }

    /// Handles the markup at `start`; nil when `<` is just text.
    private mutating func markup(at start: Int) -> Int? {
        if starts(with: "<!--", at: start) {
            return (find("-->", from: start + 4) ?? source.count - 3) + 3
        }
        guard start + 1 < source.count else { return nil }
        let next = source[start + 1]
        if next == "!" || next == "?" { return (find(">", from: start) ?? source.count - 1) + 1 }
        guard let tag = HTMLTag.parse(source, at: start) else { return nil }
        if tag.isEnd { endTag(tag.name) } else { return startTag(tag) }
        return tag.end
    }

    private mutating func startTag(_ tag: HTMLTag) -> Int {
        let name = tag.name
        if let current = hidden {
            if name == current.name && !tag.selfClosing && !voidElements.contains(name) { hidden!.depth += 1 }
            return tag.end
        }
        if skippedElements.contains(name) {
            // Skip to the matching close tag; without one, only the tag itself goes.
            guard let close = findClose(name, from: tag.end) else { return tag.end }
            return (find(">", from: close) ?? source.count - 1) + 1
        }
        if tag.isHidden {
            if !tag.selfClosing && !voidElements.contains(name) { hidden = (name, 1) }
            return tag.end
        }
        switch name {
        case "br": writer.lineBreak()
        case "td", "th": writer.space()
        case "img": if let alt = tag.attributes["alt"], !alt.isEmpty { writer.text(alt) }
        case "a": links.append((tag.attributes["href"] ?? "", writer.count))
        case "ul": lists.append(nil); writer.block(2)
        case "ol": lists.append(Int(tag.attributes["start"] ?? "") ?? 1); writer.block(2)
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
            if paragraphElements.contains(name) { writer.block(2) }
            if lineElements.contains(name) { writer.block(1) }
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
            if paragraphElements.contains(name) { writer.block(2) }
            if lineElements.contains(name) { writer.block(1) }
        }
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

    private func starts(with literal: String, at position: Int) -> Bool {
        var i = position
        for scalar in literal.unicodeScalars {
            guard i < source.count, source[i].lowercased == scalar else { return false }
            i += 1
        }
        return true
    }

    private func find(_ literal: String, from position: Int) -> Int? {
        var i = position
        while i < source.count {
            if starts(with: literal, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// The `</name` that closes a raw element, case-insensitively.
    private func findClose(_ name: String, from position: Int) -> Int? {
        var i = position
        while let found = find("</" + name, from: i) {
            let after = found + 2 + name.unicodeScalars.count
            if after >= source.count || !source[after].isNameCharacter { return found }
            i = found + 1
        }
        return nil
    }
}

/// Output with pending whitespace: nothing is written until the next visible
/// character, so blocks never stack blank lines and lines never end in spaces.
private struct TextWriter {
    private var out: [Unicode.Scalar] = []
    private var pendingSpace = false
    private var pendingBreaks = 0

    var count: Int { out.count }

    mutating func char(_ scalar: Unicode.Scalar) {
        if scalar.isCollapsibleSpace { pendingSpace = true; return }
        if scalar.isInvisible { return }
        flush()
        out.append(scalar)
    }

    /// Preformatted text: written as it is.
    mutating func raw(_ scalar: Unicode.Scalar) {
        if scalar.isInvisible { return }
        flush()
        out.append(scalar)
    }

    mutating func text(_ string: String) { for scalar in string.unicodeScalars { char(scalar) } }
    mutating func space() { pendingSpace = true }
    mutating func block(_ breaks: Int) { pendingBreaks = max(pendingBreaks, breaks) }
    mutating func lineBreak() { pendingBreaks = min(pendingBreaks + 1, 2) }

    func text(since start: Int) -> String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: out[min(start, out.count)...])
        return String(result)
    }

    private mutating func flush() {
        defer { pendingSpace = false; pendingBreaks = 0 }
        guard !out.isEmpty else { return }
        if pendingBreaks > 0 {
            var trailing = 0
            while trailing < pendingBreaks, trailing < out.count, out[out.count - 1 - trailing] == "\n" { trailing += 1 }
            // A line break makes the spaces before it pointless.
            while out.last == " " { out.removeLast() }
            out.append(contentsOf: repeatElement("\n", count: pendingBreaks - trailing))
        } else if pendingSpace, let last = out.last, last != "\n", last != " " {
            out.append(" ")
        }
    }

    func finish() -> String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: out)
        return String(result).trimmingWhitespace
    }
}

extension Unicode.Scalar {
    /// Whitespace that collapses, including the no-break space emails pad with.
    var isCollapsibleSpace: Bool {
        switch value {
        case 0x20, 0x09, 0x0A, 0x0C, 0x0D, 0xA0, 0x2007, 0x202F: true
        default: false
        }
    }

    /// Zero-width characters that preheader padding is made of.
    var isInvisible: Bool {
        switch value {
        case 0x00AD, 0x034F, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF: true
        default: false
        }
    }

    var isNameCharacter: Bool {
        (0x30...0x39).contains(value) || (0x61...0x7A).contains(value | 0x20) || self == "-" || self == ":"
    }

    /// ASCII letters lowercased; everything else as it is.
    var lowercased: Unicode.Scalar {
        value >= 0x41 && value <= 0x5A ? Unicode.Scalar(UInt8(value) + 0x20) : self
    }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isCollapsibleSpace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.isCollapsibleSpace })!
        return String(scalars[first...last])
    }
}
