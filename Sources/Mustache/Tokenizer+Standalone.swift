extension Tokenizer {
    /// Drops the whitespace and line break around standalone tags and records
    /// indentation for partials, parents and blocks.
    ///
    /// A line is standalone when it holds only whitespace and tags that can
    /// stand alone, and any two tags on it are separated only by a parent's
    /// ignored content (`{{<parent}}{{$block}}`, `{{/block}}{{/parent}}`,
    /// `{{<parent}}{{/parent}}`): a parent tag pair renders like one tag.
    static func applyStandaloneRules(_ tokens: [Token], source: [UInt8]) -> [Token] {
        var result: [Token] = []
        result.reserveCapacity(tokens.count)
        var scopes: [Tag.Kind] = []
        var lineStart = 0
        for index in tokens.indices {
            var endsLine = index == tokens.count - 1
            if case .text(let range) = tokens[index], source[range.upperBound - 1] == UInt8(ascii: "\n") { endsLine = true }
            guard endsLine else { continue }
            appendLine(tokens[lineStart...index], scopes: &scopes, source: source, to: &result)
            lineStart = index + 1
        }
        return result
    }

    private static func appendLine(
        _ line: ArraySlice<Token>, scopes: inout [Tag.Kind], source: [UInt8], to result: inout [Token]
    ) {
        var tagCount = 0
        var standalone = true
        for token in line {
            switch token {
            case .text(let range):
                if !isBlank(source[range]) { standalone = false }
            case .tag(let tag):
                if tagCount > 0 && scopes.last != .parent { standalone = false }
                if !tag.kind.canStandAlone { standalone = false }
                tagCount += 1
                if tag.kind.opensScope {
                    scopes.append(tag.kind)
                } else if tag.kind == .close, !scopes.isEmpty {
                    scopes.removeLast()
                }
            }
        }
        standalone = standalone && tagCount > 0

        var leading: [UInt8] = []
        if standalone, case .text(let range)? = line.first { leading = Array(source[range]) }
        var lineEnd = 0
        switch line.last! {
        case .text(let range): lineEnd = range.upperBound
        case .tag(let tag): lineEnd = tag.end
        }
        let endsWithBreak = lineEnd > 0 && source[lineEnd - 1] == UInt8(ascii: "\n")
        var isFirstTag = true
        for token in line {
            guard case .tag(var tag) = token else {
                if !standalone { result.append(token) }
                continue
            }
            tag.standalone = standalone
            switch tag.kind {
            case .partial, .parent:
                if standalone && isFirstTag { tag.indentation = leading }
            case .block:
                // A standalone block's lines start on the next line; otherwise on its own.
                if standalone {
                    tag.indentation = endsWithBreak ? leadingWhitespace(at: lineEnd, in: source) : []
                } else {
                    var start = tag.start
                    while start > 0 && source[start - 1] != UInt8(ascii: "\n") { start -= 1 }
                    tag.indentation = leadingWhitespace(at: start, in: source)
                }
            default:
                break
            }
            isFirstTag = false
            result.append(.tag(tag))
        }
    }

    /// Spaces and tabs, then an optional line break (`\n` or `\r\n`).
    private static func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool {
        var body = bytes
        if body.last == UInt8(ascii: "\n") {
            body.removeLast()
            if body.last == UInt8(ascii: "\r") { body.removeLast() }
        }
        return body.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    static func leadingWhitespace(at offset: Int, in source: [UInt8]) -> [UInt8] {
        var end = offset
        while end < source.count && (source[end] == 0x20 || source[end] == 0x09) { end += 1 }
        return Array(source[offset..<end])
    }
}
