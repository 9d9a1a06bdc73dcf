import JSON

/// A compiled Mustache template: parse once, render many times from any thread.
///
/// Supports the whole spec except lambdas: interpolation, sections, inverted
/// sections, comments, set delimiters, partials (with standalone
/// indentation), template inheritance and dynamic names.
public struct MustacheTemplate: Sendable {
    let program: Program

    public init(_ source: String, options: MustacheCompileOptions = MustacheCompileOptions()) throws(MustacheError) {
        program = try Compiler.compile(Array(source.utf8), options: options)
    }

    /// Renders `data`. Missing names render empty and are reported, never an
    /// error; only the limits in `options` (and strict partials) fail a render.
    public func render(
        _ data: JSONValue,
        partials: any MustachePartialResolver = MustachePartials(),
        options: MustacheRenderOptions = MustacheRenderOptions()
    ) throws(MustacheError) -> MustacheRendering {
        var renderer = Renderer(for: program, options: options, resolver: partials)
        try renderer.run(program, data: data)
        return MustacheRendering(output: renderer.out.makeString(), missingVariables: renderer.missing)
    }

    /// Names of the partials and parents this template names directly (not
    /// dynamic names), each once, in source order.
    public var partialNames: [String] {
        var seen: Set<String> = []
        return staticCalls.map(\.call.name).filter { seen.insert($0).inserted }
    }

    /// Static partial and parent calls with the op that makes each.
    var staticCalls: [(call: PartialCall, op: Int)] {
        program.ops.base.indices.compactMap { index in
            let call: PartialCall
            switch program.ops[index] {
            case .partial(let i): call = program.partials[i]
            case .parent(let i): call = program.parents[i].call
            default: return nil
            }
            return call.dynamicName == nil ? (call, index) : nil
        }
    }
}

/// Supplies partials (and parents) by name.
public protocol MustachePartialResolver: Sendable {
    func template(named name: String) -> MustacheTemplate?
}

/// Partials held in a dictionary.
public struct MustachePartials: MustachePartialResolver {
    public var templates: [String: MustacheTemplate]

    public init(_ templates: [String: MustacheTemplate] = [:]) {
        self.templates = templates
    }

    /// Compiles each source; an error names the partial it is in.
    public init(sources: [String: String], options: MustacheCompileOptions = MustacheCompileOptions()) throws(MustacheError) {
        templates = [:]
        for name in sources.keys.sorted() {
            do {
                templates[name] = try MustacheTemplate(sources[name]!, options: options)
            } catch {
                var error = error
                error.context = "partial \"\(name)\""
                throw error
            }
        }
    }

    public func template(named name: String) -> MustacheTemplate? { templates[name] }
}
