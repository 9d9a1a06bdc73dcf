/// Turns tokens into a `Program`, checking that tags nest properly.
struct Compiler {
    private let source: [UInt8]
    private let maxDepth: Int

    private var built = Program.Parts()
    private var offsets: [Int] = []
    private var nameIndex: [String: Int] = [:]

    private struct Scope {
        var tag: Tag
        var op: Int
        /// Content that renders nothing: inside a parent but outside its blocks.
        var ignored: Bool
    }
    private var scopes: [Scope] = []

    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var pendingStartsLine = false

    private init(source: [UInt8], maxDepth: Int) {
        self.source = source
        self.maxDepth = maxDepth
    }

    static func compile(_ source: [UInt8], options: MustacheCompileOptions) throws(MustacheError) -> Program {
        let tokens = Tokenizer.applyStandaloneRules(try Tokenizer.tokenize(source), source: source)
        var compiler = Compiler(source: source, maxDepth: options.maxNestingDepth)
        for token in tokens { try compiler.add(token) }
        return try compiler.finish()
    }

    private func error(_ message: String, at offset: Int) -> MustacheError {
        SourcePosition.of(offset, in: source).error(message)
    }

    /// True inside a parent's ignored content (and anything nested in it).
    private var ignoring: Bool {
        guard let top = scopes.last else { return false }
        return top.ignored || top.tag.kind == .parent
    }

    private mutating func add(_ token: Token) throws(MustacheError) {
        switch token {
        case .text(let range):
            guard !ignoring else { return }
            if pending.isEmpty {
                pendingStart = range.lowerBound
                pendingStartsLine = range.lowerBound == 0 || source[range.lowerBound - 1] == UInt8(ascii: "\n")
            }
            pending.append(contentsOf: source[range])
        case .tag(let tag):
            try add(tag)
        }
    }

    private mutating func add(_ tag: Tag) throws(MustacheError) {
        switch tag.kind {
        case .comment, .delimiters:
            return
        case .close:
            try close(tag)
            return
        case .section, .inverted, .parent, .block:
            guard scopes.count < maxDepth else {
                throw error("sections nested deeper than \(maxDepth) levels", at: tag.start)
            }
        case .variable, .unescaped, .partial:
            break
        }
        // Blocks directly inside a parent are its arguments; everything else there is ignored.
        let definesArgument = tag.kind == .block && scopes.last.map { $0.tag.kind == .parent && !$0.ignored } == true
        if ignoring && !definesArgument {
            if tag.kind.opensScope { scopes.append(Scope(tag: tag, op: -1, ignored: true)) }
            return
        }
        flushText()
        switch tag.kind {
        case .variable, .unescaped:
            emit(.variable(name(tag.name), escaped: tag.kind == .variable), at: tag.start)
        case .section:
            scopes.append(Scope(tag: tag, op: built.ops.count, ignored: false))
            emit(.section(name(tag.name), end: -1), at: tag.start)
        case .inverted:
            scopes.append(Scope(tag: tag, op: built.ops.count, ignored: false))
            emit(.inverted(name(tag.name), end: -1), at: tag.start)
        case .partial:
            built.partials.append(call(tag))
            emit(.partial(built.partials.count - 1), at: tag.start)
        case .parent:
            built.parents.append(ParentCall(call: call(tag), blocks: [:], end: -1))
            scopes.append(Scope(tag: tag, op: built.ops.count, ignored: false))
            emit(.parent(built.parents.count - 1), at: tag.start)
        case .block:
            built.blocks.append(BlockDefinition(
                name: tag.name, standalone: tag.standalone, indentation: tag.indentation, start: built.ops.count, end: -1))
            scopes.append(Scope(tag: tag, op: built.ops.count, ignored: false))
            emit(.block(built.blocks.count - 1), at: tag.start)
        case .close, .comment, .delimiters:
            break
        }
    }

    private mutating func close(_ tag: Tag) throws(MustacheError) {
        guard let open = scopes.popLast() else { throw error("unexpected close tag \"\(tag.name)\"", at: tag.start) }
        guard open.tag.written == tag.name else {
            throw error("mismatched close tag \"\(tag.name)\", expected \"\(open.tag.written)\"", at: tag.start)
        }
        guard !open.ignored else { return }
        flushText()
        switch built.ops[open.op] {
        case .section(let name, _):
            built.ops[open.op] = .section(name, end: built.ops.count)
            emit(.sectionEnd(start: open.op), at: tag.start)
        case .inverted(let name, _):
            built.ops[open.op] = .inverted(name, end: built.ops.count)
        case .parent(let index):
            built.parents[index].end = built.ops.count
        case .block(let index):
            built.blocks[index].end = built.ops.count
            emit(.blockEnd, at: tag.start)
            if let parent = scopes.last, parent.tag.kind == .parent, case .parent(let parentIndex) = built.ops[parent.op] {
                built.parents[parentIndex].blocks[tag.name] = index
            }
        default:
            break
        }
    }

    private mutating func finish() throws(MustacheError) -> Program {
        if let open = scopes.last {
            let what = switch open.tag.kind {
            case .parent: "parent"
            case .block: "block"
            default: "section"
            }
            throw error("unclosed \(what) \"\(open.tag.written)\"", at: open.tag.start)
        }
        flushText()
        emit(.end, at: source.count)
        built.positions = SourcePosition.positions(of: offsets, in: source)
        return Program(built)
    }

    private mutating func emit(_ op: Op, at offset: Int) {
        built.ops.append(op)
        offsets.append(offset)
    }

    private mutating func flushText() {
        guard !pending.isEmpty else { return }
        let lineStartsBegin = built.lineStarts.count
        for (index, byte) in pending.enumerated() where byte == UInt8(ascii: "\n") && index + 1 < pending.count {
            built.lineStarts.append(index + 1)
        }
        let bytesBegin = built.textBytes.count
        built.textBytes.append(contentsOf: pending)
        built.texts.append(TextChunk(
            bytes: bytesBegin..<built.textBytes.count, startsLine: pendingStartsLine,
            lineStarts: lineStartsBegin..<built.lineStarts.count))
        emit(.text(built.texts.count - 1), at: pendingStart)
        pending = []
    }

    private mutating func name(_ text: String) -> Int {
        if let index = nameIndex[text] { return index }
        let begin = built.nameParts.count
        if text != "." { built.nameParts += text.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
        built.names.append(Name(text: text, parts: begin..<built.nameParts.count))
        nameIndex[text] = built.names.count - 1
        return built.names.count - 1
    }

    private mutating func call(_ tag: Tag) -> PartialCall {
        PartialCall(
            name: tag.name, dynamicName: tag.isDynamic ? name(tag.name) : nil,
            standalone: tag.standalone, indentation: tag.indentation
        )
    }
}
