import JSON

/// One instruction of a compiled template. Jumps are op indices in the same program.
enum Op: Sendable {
    case text(Int)
    case variable(Int, escaped: Bool)
    /// Skips to `end + 1` when falsy; `end` is the matching `sectionEnd`.
    case section(Int, end: Int)
    /// Loops back to `start + 1` while items remain.
    case sectionEnd(start: Int)
    /// Skips to `end` (the first op after the body) when truthy.
    case inverted(Int, end: Int)
    case partial(Int)
    /// A parent call; its block definitions follow inline and are skipped.
    case parent(Int)
    case block(Int)
    case blockEnd
    case end
}

/// Static text, pre-encoded, with where its lines start (for indentation).
struct TextChunk: Sendable {
    var bytes: [UInt8]
    /// The chunk begins at the start of a source line.
    var startsLine: Bool
    /// Offsets just past each line break, excluding the chunk's end.
    var lineStarts: [Int]
}

/// A name split into its dotted parts at compile time; `.` has no parts.
struct Name: Sendable {
    var text: String
    var parts: [String]

    init(_ text: String) {
        self.text = text
        parts = text == "." ? [] : text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }
}

struct PartialCall: Sendable {
    var name: String
    /// `{{>*name}}`: the partial's name is looked up in the data.
    var dynamicName: Name?
    var standalone: Bool
    var indentation: [UInt8]
}

struct ParentCall: Sendable {
    var call: PartialCall
    /// Block definitions inside the tag, by name, as indices into `blocks`.
    var blocks: [String: Int]
    /// First op after the parent's closing tag.
    var end: Int
}

struct BlockDefinition: Sendable {
    var name: String
    var standalone: Bool
    var indentation: [UInt8]
    /// Index of the block's own op; its content follows.
    var start: Int
    /// Index of the block's `blockEnd`.
    var end: Int
}

/// An immutable compiled template, shared by every render.
final class Program: Sendable {
    let ops: [Op]
    let texts: [TextChunk]
    let names: [Name]
    let partials: [PartialCall]
    let parents: [ParentCall]
    let blocks: [BlockDefinition]
    /// Source position of each op, for render errors.
    let positions: [SourcePosition]
    /// Bytes of static text, a starting point for the output buffer.
    let staticSize: Int

    init(
        ops: [Op], texts: [TextChunk], names: [Name], partials: [PartialCall], parents: [ParentCall],
        blocks: [BlockDefinition], positions: [SourcePosition]
    ) {
        self.ops = ops
        self.texts = texts
        self.names = names
        self.partials = partials
        self.parents = parents
        self.blocks = blocks
        self.positions = positions
        staticSize = texts.reduce(0) { $0 + $1.bytes.count }
    }
}
