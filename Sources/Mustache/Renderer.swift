import JSON

/// Executes a program against data. No recursion: sections, partials and
/// blocks keep their state in `frames`, so hostile nesting cannot overflow
/// the stack, and every op counts against `maxSteps`.
struct Renderer: ~Copyable {
    let options: MustacheRenderOptions
    let resolver: any MustachePartialResolver
    let escapesHTML: Bool

    var out: OutputBuffer
    var contexts: [JSONValue] = []
    var frames: [Frame] = []
    var missing: [String] = []
    var missingSeen: Set<String> = []
    var steps = 0
    var callDepth = 0
    var scope = BlockScope.empty

    /// Active line transforms are `indents[indentBase...]`; see Renderer+Indentation.
    var indents: [Indent] = []
    var indentBase = 0
    /// Whether the next template output starts a line. Tracked only while indents are active.
    var atLineStart = true
    /// Set while an override's first line, placed mid-line, awaits its de-indentation.
    var firstLineStrip: [UInt8]?

    enum Frame {
        /// A section being rendered; `items` is empty for a single non-list value.
        case section(items: [JSONValue], index: Int)
        case call(Call)
    }

    /// Where to resume after a partial, parent or block.
    struct Call {
        enum Kind { case standalone, inline, block }
        var kind: Kind
        var program: Program
        var returnPC: Int
        /// The op that made the call, for error positions.
        var callSite: Int
        var scope: BlockScope
        var indentCount: Int
        var indentBase: Int
    }

    /// `program` sizes the output buffer: its static text, twice over for values.
    init(for program: Program, options: MustacheRenderOptions, resolver: any MustachePartialResolver) {
        self.options = options
        self.resolver = resolver
        escapesHTML = options.escaping == .html
        out = OutputBuffer(capacity: min(options.maxOutputBytes, program.staticSize * 2 + 256))
    }

    mutating func run(_ root: Program, data: JSONValue) throws(MustacheError) {
        contexts.reserveCapacity(16)
        contexts.append(data)
        var program = root
        var pc = 0
        let maxSteps = options.maxSteps
        let maxOutput = options.maxOutputBytes
        while true {
            steps &+= 1
            if steps > maxSteps { throw failure("render exceeded \(maxSteps) steps", program, pc) }
            switch program.ops[pc] {
            case .text(let index):
                if indents.count == indentBase {
                    out.append(program.bytes(of: program.texts[index]))
                } else {
                    writeIndented(program.texts[index], of: program)
                }
                if out.count > maxOutput { throw outputFailure(program, pc) }
                pc += 1

            case .variable(let index, let escaped):
                if indents.count != indentBase { flushLineStart() }
                if let value = lookup(index, in: program) { write(value, escaped: escaped && escapesHTML) }
                if out.count > maxOutput { throw outputFailure(program, pc) }
                pc += 1

            case .section(let index, let end):
                switch lookup(index, in: program) {
                case nil, .null?, .bool(false)?:
                    pc = end + 1
                case .array(let items)?:
                    if let first = items.first {
                        frames.append(.section(items: items, index: 0))
                        contexts.append(first)
                        pc += 1
                    } else {
                        pc = end + 1
                    }
                case let value?:
                    frames.append(.section(items: [], index: 0))
                    contexts.append(value)
                    pc += 1
                }

            case .sectionEnd(let start):
                guard case .section(let items, let index)? = frames.last else { preconditionFailure("unbalanced section") }
                if index + 1 < items.count {
                    frames[frames.count - 1] = .section(items: items, index: index + 1)
                    contexts[contexts.count - 1] = items[index + 1]
                    pc = start + 1
                } else {
                    frames.removeLast()
                    contexts.removeLast()
                    pc += 1
                }

            case .inverted(let index, let end):
                pc = isTruthy(lookup(index, in: program)) ? end : pc + 1

            case .partial(let index):
                let call = program.partials[index]
                if let target = try resolve(call, program, pc) {
                    try enter(target, call: call, kind: call.standalone ? .standalone : .inline,
                              from: program, site: pc, returnPC: pc + 1, scope: scope)
                    program = target.program
                    pc = 0
                } else {
                    pc += 1
                }

            case .parent(let index):
                let parent = program.parents[index]
                if let target = try resolve(parent.call, program, pc) {
                    try enter(target, call: parent.call, kind: parent.call.standalone ? .standalone : .inline,
                              from: program, site: pc, returnPC: parent.end,
                              scope: scope.adding(parent.blocks, from: program))
                    program = target.program
                    pc = 0
                } else {
                    pc = parent.end
                }

            case .block(let index):
                let block = program.blocks[index]
                frames.append(.call(Call(
                    kind: .block, program: program, returnPC: block.end + 1, callSite: pc, scope: scope,
                    indentCount: indents.count, indentBase: indentBase)))
                if let override = scope.overrides[block.name] {
                    let definition = override.program.blocks[override.block]
                    reindentBlock(from: definition, to: block)
                    scope = override.scope
                    program = override.program
                    pc = definition.start + 1
                } else {
                    pc += 1
                }

            case .blockEnd, .end:
                guard let call = popCall() else { return }
                program = call.program
                pc = call.returnPC
            }
        }
    }

    func isTruthy(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?, .bool(false)?: return false
        case .array(let items)?: return !items.isEmpty
        default: return true
        }
    }

    // MARK: Calls

    /// The named template, with the name it was found under (dynamic names are looked up).
    private mutating func resolve(
        _ call: PartialCall, _ program: Program, _ pc: Int
    ) throws(MustacheError) -> (program: Program, name: String)? {
        var name = call.name
        if let dynamicName = call.dynamicName {
            guard case .string(let resolved)? = lookup(dynamicName, in: program) else { return nil }
            name = resolved
        }
        if let template = resolver.template(named: name) { return (template.program, name) }
        if options.strictPartials { throw failure("unknown partial \"\(name)\"", program, pc) }
        return nil
    }

    private mutating func enter(
        _ target: (program: Program, name: String), call: PartialCall, kind: Call.Kind, from program: Program,
        site: Int, returnPC: Int, scope newScope: BlockScope
    ) throws(MustacheError) {
        guard callDepth < options.maxPartialDepth else {
            throw failure("partials nested deeper than \(options.maxPartialDepth) levels at \"\(target.name)\"", program, site)
        }
        callDepth += 1
        frames.append(.call(Call(
            kind: kind, program: program, returnPC: returnPC, callSite: site, scope: scope,
            indentCount: indents.count, indentBase: indentBase)))
        scope = newScope
        if kind == .standalone {
            if !call.indentation.isEmpty { pushIndent(strip: [], add: call.indentation) }
            atLineStart = true
        } else {
            // An inline partial's lines are not indented by the line it sits on.
            flushLineStart()
            indentBase = indents.count
        }
    }

    private mutating func popCall() -> Call? {
        guard case .call(let call)? = frames.popLast() else { return nil }
        scope = call.scope
        firstLineStrip = nil
        indents.removeLast(indents.count - call.indentCount)
        indentBase = call.indentBase
        switch call.kind {
        case .standalone:
            callDepth -= 1
            atLineStart = true
        case .inline:
            callDepth -= 1
            atLineStart = false
        case .block:
            break
        }
        return call
    }

    // MARK: Errors

    /// Errors point at the top-level template: the call that led to them, or the op itself.
    func failure(_ message: String, _ program: Program, _ pc: Int) -> MustacheError {
        for case .call(let call) in frames {
            return call.program.positions[call.callSite].error(message)
        }
        return program.positions[pc].error(message)
    }

    private func outputFailure(_ program: Program, _ pc: Int) -> MustacheError {
        failure("output exceeds \(options.maxOutputBytes) bytes", program, pc)
    }
}
