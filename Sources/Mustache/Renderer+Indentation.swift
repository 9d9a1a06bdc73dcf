/// Indentation works on template lines, never on interpolated data.
///
/// Each active `Indent` rewrites the leading whitespace of a template line:
/// a standalone partial adds its indentation; an overridden block strips the
/// indentation it was written at and adds the one it is expanded at. Nested
/// transforms apply innermost first.
extension Renderer {
    struct Indent {
        var strip: [UInt8]
        var add: [UInt8]
        /// When no active transform strips anything, the whole rewrite is a
        /// fixed prefix, computed once here.
        var prefix: [UInt8]?
    }

    mutating func pushIndent(strip: [UInt8], add: [UInt8]) {
        var prefix: [UInt8]? = nil
        if strip.isEmpty {
            if indents.count == indentBase {
                prefix = add
            } else if let below = indents[indents.count - 1].prefix {
                prefix = below + add
            }
        }
        indents.append(Indent(strip: strip, add: add, prefix: prefix))
    }

    /// Switches from where a block's content was written to where it is expanded.
    mutating func reindentBlock(from definition: BlockDefinition, to expansion: BlockDefinition) {
        guard definition.indentation != expansion.indentation else { return }
        if !expansion.standalone {
            // Text before the tag already began this line: the content's first
            // line loses its own indentation but gains nothing.
            flushLineStart()
            firstLineStrip = definition.indentation
        }
        atLineStart = true
        pushIndent(strip: definition.indentation, add: expansion.indentation)
    }

    /// Before output that is not static text (a value, an inline call), emits
    /// the indentation owed to a line that starts with a tag.
    mutating func flushLineStart() {
        guard indents.count != indentBase, atLineStart else { return }
        writeLead(UnsafeBufferPointer(start: nil, count: 0)[...])
        atLineStart = false
    }

    mutating func writeIndented(_ text: TextChunk, of program: Program) {
        let bytes = program.bytes(of: text)
        var position = 0
        if atLineStart {
            position = text.startsLine ? whitespaceEnd(bytes, from: 0) : 0
            writeLead(bytes[0..<position])
        }
        for index in text.lineStarts {
            let lineStart = program.lineStarts[index]
            out.append(bytes[position..<lineStart])
            position = whitespaceEnd(bytes, from: lineStart)
            writeLead(bytes[lineStart..<position])
        }
        out.append(bytes[position...])
        atLineStart = bytes.last == UInt8(ascii: "\n")
    }

    private func whitespaceEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var end = start
        while end < bytes.count && (bytes[end] == 0x20 || bytes[end] == 0x09) { end += 1 }
        return end
    }

    /// Writes a line's leading whitespace as rewritten by the active transforms.
    private mutating func writeLead(_ whitespace: Slice<UnsafeBufferPointer<UInt8>>) {
        if let strip = firstLineStrip {
            firstLineStrip = nil
            out.append(whitespace.dropFirst(commonPrefix(whitespace, strip)))
            return
        }
        if let prefix = indents[indents.count - 1].prefix {
            out.append(prefix)
            out.append(whitespace)
            return
        }
        var lead = Array(whitespace)
        for index in stride(from: indents.count - 1, through: indentBase, by: -1) {
            let indent = indents[index]
            lead = indent.add + lead.dropFirst(commonPrefix(lead[...], indent.strip))
        }
        out.append(lead)
    }

    private func commonPrefix(_ bytes: some Collection<UInt8>, _ prefix: [UInt8]) -> Int {
        var count = 0
        for (byte, expected) in zip(bytes, prefix) {
            guard byte == expected else { break }
            count += 1
        }
        return count
    }
}
