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

/// Static text: a range of the program's text bytes, and where its lines start.
struct TextChunk: Sendable {
    var bytes: Range<Int>
    /// The chunk begins at the start of a source line.
    var startsLine: Bool
    /// Range of `Program.lineStarts`: offsets within the chunk just past each
    /// line break, excluding the chunk's end (for indentation).
    var lineStarts: Range<Int>
}

/// A name as written, and the range of `Program.nameParts` holding its dotted
/// parts, split at compile time; `.` has no parts.
struct Name: Sendable {
    var text: String
    var parts: Range<Int>
}

struct PartialCall: Sendable {
    var name: String
    /// `{{>*name}}`: the partial's name is looked up in the data (a name index).
    var dynamicName: Int?
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

/// An array copied into memory of its own, so the render loop reads it
/// without reference counting. Freed by the owning `Program`.
struct FrozenBuffer<Element>: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<Element>

    init(_ elements: [Element]) {
        base = .allocate(capacity: elements.count)
        _ = base.initialize(fromContentsOf: elements)
    }

    @inline(__always) subscript(index: Int) -> Element { base[index] }

    func free() {
        base.deinitialize()
        base.deallocate()
    }
}

/// An immutable compiled template, shared by every render.
final class Program: Sendable {
    let ops: FrozenBuffer<Op>
    let textBytes: FrozenBuffer<UInt8>
    let texts: FrozenBuffer<TextChunk>
    let lineStarts: FrozenBuffer<Int>
    let names: [Name]
    let nameRanges: FrozenBuffer<Range<Int>>
    let nameParts: FrozenBuffer<String>
    /// `JSONObject.hash(of:)` of each name part, so lookups never hash at render time.
    let namePartHashes: FrozenBuffer<UInt32>
    let partials: [PartialCall]
    let parents: [ParentCall]
    let blocks: [BlockDefinition]
    /// Source position of each op, for render errors.
    let positions: [SourcePosition]

    struct Parts {
        var ops: [Op] = []
        var textBytes: [UInt8] = []
        var texts: [TextChunk] = []
        var lineStarts: [Int] = []
        var names: [Name] = []
        var nameParts: [String] = []
        var partials: [PartialCall] = []
        var parents: [ParentCall] = []
        var blocks: [BlockDefinition] = []
        var positions: [SourcePosition] = []
    }

    init(_ parts: Parts) {
        ops = FrozenBuffer(parts.ops)
        textBytes = FrozenBuffer(parts.textBytes)
        texts = FrozenBuffer(parts.texts)
        lineStarts = FrozenBuffer(parts.lineStarts)
        names = parts.names
        nameRanges = FrozenBuffer(parts.names.map(\.parts))
        nameParts = FrozenBuffer(parts.nameParts)
        namePartHashes = FrozenBuffer(parts.nameParts.map(JSONObject.hash(of:)))
        partials = parts.partials
        parents = parts.parents
        blocks = parts.blocks
        positions = parts.positions
    }

    deinit {
        ops.free()
        textBytes.free()
        texts.free()
        lineStarts.free()
        nameRanges.free()
        nameParts.free()
        namePartHashes.free()
    }

    /// Bytes of static text, a starting point for the output buffer.
    var staticSize: Int { textBytes.base.count }

    @inline(__always) func bytes(of text: TextChunk) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: textBytes.base[text.bytes])
    }
}
