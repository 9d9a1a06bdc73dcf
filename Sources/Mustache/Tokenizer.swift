/// A tag as written, before structure is known.
struct Tag {
    enum Kind: Equatable {
        case variable, unescaped, section, inverted, close, comment, delimiters, partial, parent, block

        /// Tags that can stand alone on a line and take the whole line with them.
        var canStandAlone: Bool { self != .variable && self != .unescaped }
        var opensScope: Bool { self == .section || self == .inverted || self == .parent || self == .block }
    }

    var kind: Kind
    /// Trimmed content; for dynamic partials and parents, without the `*`.
    var name: String
    var isDynamic = false
    /// Byte offsets of the opening delimiter and just past the closing one.
    var start: Int
    var end: Int
    var standalone = false
    /// Partials and parents: whitespace before a standalone tag, prepended to
    /// each line. Blocks: the indentation the block's lines are written at.
    var indentation: [UInt8] = []

    /// The name as a close tag must repeat it.
    var written: String { isDynamic ? "*" + name : name }
}

enum Token {
    /// Each text token holds at most one line break, at its end.
    case text(Range<Int>)
    case tag(Tag)
}

/// Splits a template into text and tags, following set-delimiter tags.
struct Tokenizer {
    let source: [UInt8]
    private var open: [UInt8] = Array("{{".utf8)
    private var close: [UInt8] = Array("}}".utf8)
    private var tokens: [Token] = []

    init(source: [UInt8]) { self.source = source }

    static func tokenize(_ source: [UInt8]) throws(MustacheError) -> [Token] {
        var tokenizer = Tokenizer(source: source)
        try tokenizer.run()
        return tokenizer.tokens
    }

    private func error(_ message: String, at offset: Int) -> MustacheError {
        SourcePosition.of(offset, in: source).error(message)
    }

    private mutating func run() throws(MustacheError) {
        var position = 0
        while position < source.count {
            guard let tagStart = find(open, from: position) else {
                appendText(position..<source.count)
                return
            }
            appendText(position..<tagStart)
            position = try readTag(at: tagStart)
        }
    }

    private mutating func appendText(_ range: Range<Int>) {
        var lineStart = range.lowerBound
        var index = range.lowerBound
        while index < range.upperBound {
            if source[index] == UInt8(ascii: "\n") {
                tokens.append(.text(lineStart..<index + 1))
                lineStart = index + 1
            }
            index += 1
        }
        if lineStart < range.upperBound { tokens.append(.text(lineStart..<range.upperBound)) }
    }

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, source.count >= needle.count else { return nil }
        var index = start
        let last = source.count - needle.count
        while index <= last {
            if source[index] == first {
                var k = 1
                while k < needle.count && source[index + k] == needle[k] { k += 1 }
                if k == needle.count { return index }
            }
            index += 1
        }
        return nil
    }

    /// Reads the tag at `start`, appends it, returns the offset after it.
    private mutating func readTag(at start: Int) throws(MustacheError) -> Int {
        var contentStart = start + open.count
        guard contentStart < source.count else { throw error("unclosed tag", at: start) }
        var closing = close
        let kind: Tag.Kind
        switch source[contentStart] {
        case UInt8(ascii: "{"): kind = .unescaped; closing = [UInt8(ascii: "}")] + close
        case UInt8(ascii: "&"): kind = .unescaped
        case UInt8(ascii: "#"): kind = .section
        case UInt8(ascii: "^"): kind = .inverted
        case UInt8(ascii: "/"): kind = .close
        case UInt8(ascii: "!"): kind = .comment
        case UInt8(ascii: "="): kind = .delimiters; closing = [UInt8(ascii: "=")] + close
        case UInt8(ascii: ">"): kind = .partial
        case UInt8(ascii: "<"): kind = .parent
        case UInt8(ascii: "$"): kind = .block
        default: kind = .variable
        }
        if kind != .variable { contentStart += 1 }
        guard let contentEnd = find(closing, from: contentStart) else { throw error("unclosed tag", at: start) }
        let end = contentEnd + closing.count
        var tag = Tag(kind: kind, name: "", start: start, end: end)
        let content = trimmed(contentStart..<contentEnd)
        switch kind {
        case .comment:
            break
        case .delimiters:
            try setDelimiters(content, tagStart: start)
        case .partial, .parent:
            var nameRange = content
            if let first = nameRange.first, source[first] == UInt8(ascii: "*") {
                tag.isDynamic = true
                nameRange = trimmed(nameRange.dropFirst())
            }
            tag.name = try validName(nameRange, dotted: tag.isDynamic, tagStart: start)
        default:
            tag.name = try validName(content, dotted: kind != .block, tagStart: start)
        }
        tokens.append(.tag(tag))
        return end
    }

    private func trimmed(_ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper && isSpace(source[lower]) { lower += 1 }
        while upper > lower && isSpace(source[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    private func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Names are non-empty and free of whitespace; dotted names have no empty parts.
    private func validName(_ range: Range<Int>, dotted: Bool, tagStart: Int) throws(MustacheError) -> String {
        guard !range.isEmpty else { throw error("empty tag", at: tagStart) }
        let name = String(decoding: source[range], as: UTF8.self)
        guard !source[range].contains(where: isSpace) else { throw error("invalid name \"\(name)\"", at: tagStart) }
        if dotted && name != "." && name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw error("invalid name \"\(name)\"", at: tagStart)
        }
        return name
    }

    private mutating func setDelimiters(_ range: Range<Int>, tagStart: Int) throws(MustacheError) {
        let parts = source[range].split(whereSeparator: isSpace)
        guard parts.count == 2, !parts.contains(where: { $0.contains(UInt8(ascii: "=")) }) else {
            throw error("bad delimiter", at: tagStart)
        }
        open = Array(parts[0])
        close = Array(parts[1])
    }
}
