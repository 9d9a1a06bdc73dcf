/// Turns tokens into a `Program`, checking that tags nest properly.
struct Compiler {
    private let source: [UInt8]
    private let maxDepth: Int

    private var ops: [Op] = []
    private var offsets: [Int] = []
    private var texts: [TextChunk] = []
    private var names: [Name] = []
    private var nameIndex: [String: Int] = [:]
    private var partials: [PartialCall] = []
    private var parents: [ParentCall] = []
    private var blocks: [BlockDefinition] = []

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
            scopes.append(Scope(tag: tag, op: ops.count, ignored: false))
            emit(.section(name(tag.name), end: -1), at: tag.start)
        case .inverted:
            scopes.append(Scope(tag: tag, op: ops.count, ignored: false))
            emit(.inverted(name(tag.name), end: -1), at: tag.start)
        case .partial:
            partials.append(call(tag))
            emit(.partial(partials.count - 1), at: tag.start)
        case .parent:
            parents.append(ParentCall(call: call(tag), blocks: [:], end: -1))
            scopes.append(Scope(tag: tag, op: ops.count, ignored: false))
            emit(.parent(parents.count - 1), at: tag.start)
        case .block:
            blocks.append(BlockDefinition(
                name: tag.name, standalone: tag.standalone, indentation: tag.indentation, start: ops.count, end: -1))
            scopes.append(Scope(tag: tag, op: ops.count, ignored: false))
            emit(.block(blocks.count - 1), at: tag.start)
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
        switch ops[open.op] {
        case .section(let name, _):
            ops[open.op] = .section(name, end: ops.count)
            emit(.sectionEnd(start: open.op), at: tag.start)
        case .inverted(let name, _):
            ops[open.op] = .inverted(name, end: ops.count)
        case .parent(let index):
            parents[index].end = ops.count
        case .block(let index):
            blocks[index].end = ops.count
            emit(.blockEnd, at: tag.start)
            if let parent = scopes.last, parent.tag.kind == .parent, case .parent(let parentIndex) = ops[parent.op] {
                parents[parentIndex].blocks[tag.name] = index
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
        return Program(
            ops: ops, texts: texts, names: names, partials: partials, parents: parents, blocks: blocks,
            positions: SourcePosition.positions(of: offsets, in: source)
        )
    }

    private mutating func emit(_ op: Op, at offset: Int) {
        ops.append(op)
        offsets.append(offset)
    }

    private mutating func flushText() {
        guard !pending.isEmpty else { return }
        var lineStarts: [Int] = []
        for (index, byte) in pending.enumerated() where byte == UInt8(ascii: "\n") && index + 1 < pending.count {
            lineStarts.append(index + 1)
        }
        texts.append(TextChunk(bytes: pending, startsLine: pendingStartsLine, lineStarts: lineStarts))
        emit(.text(texts.count - 1), at: pendingStart)
        pending = []
    }

    private mutating func name(_ text: String) -> Int {
        if let index = nameIndex[text] { return index }
        names.append(Name(text))
        nameIndex[text] = names.count - 1
        return names.count - 1
    }

    private func call(_ tag: Tag) -> PartialCall {
        PartialCall(
            name: tag.name, dynamicName: tag.isDynamic ? Name(tag.name) : nil,
            standalone: tag.standalone, indentation: tag.indentation
        )
    }
}
