import JSON

/// A JSON document whose string leaves are templates, e.g. a push payload or
/// a webhook body. Each leaf renders without HTML escaping and stays a JSON
/// string, so the result is always valid JSON. Keys are not templated.
public struct MustacheJSONTemplate: Sendable {
    indirect enum Node: Sendable {
        case template(MustacheTemplate)
        case literal(JSONValue)
        case array([Node])
        case object([(key: String, node: Node)])
    }

    let root: Node

    /// Compile errors carry the leaf's JSON pointer (`/title`) as their context.
    public init(_ document: JSONValue, options: MustacheCompileOptions = MustacheCompileOptions()) throws(MustacheError) {
        root = try Self.compile(document, pointer: "", options: options)
    }

    private static func compile(_ value: JSONValue, pointer: String, options: MustacheCompileOptions) throws(MustacheError) -> Node {
        switch value {
        case .string(let source):
            do {
                return .template(try MustacheTemplate(source, options: options))
            } catch {
                throw error.located(at: pointer)
            }
        case .array(let elements):
            var nodes: [Node] = []
            for (index, element) in elements.enumerated() {
                nodes.append(try compile(element, pointer: pointer + "/\(index)", options: options))
            }
            return .array(nodes)
        case .object(let object):
            var members: [(key: String, node: Node)] = []
            for (key, member) in object {
                members.append((key, try compile(member, pointer: pointer + "/" + escapePointer(key), options: options)))
            }
            return .object(members)
        default:
            return .literal(value)
        }
    }

    /// RFC 6901 escaping of a pointer segment.
    private static func escapePointer(_ key: String) -> String {
        key.replacing("~", with: "~0").replacing("/", with: "~1")
    }

    /// Renders every leaf. The output and step limits apply to the document as a whole.
    public func render(
        _ data: JSONValue,
        partials: any MustachePartialResolver = MustachePartials(),
        options: MustacheRenderOptions = MustacheRenderOptions()
    ) throws(MustacheError) -> MustacheJSONRendering {
        var state = RenderState(data: data, partials: partials, options: options)
        let value = try state.render(root, pointer: "")
        return MustacheJSONRendering(value: value, missingVariables: state.missing)
    }

    /// See `MustacheTemplate.validatePartials`; errors carry the leaf's pointer.
    public func validatePartials(_ resolver: any MustachePartialResolver) throws(MustacheError) {
        try Self.validate(root, pointer: "", resolver: resolver)
    }

    private static func validate(_ node: Node, pointer: String, resolver: any MustachePartialResolver) throws(MustacheError) {
        switch node {
        case .template(let template):
            do { try template.validatePartials(resolver) } catch { throw error.located(at: pointer) }
        case .literal:
            break
        case .array(let nodes):
            for (index, node) in nodes.enumerated() { try validate(node, pointer: pointer + "/\(index)", resolver: resolver) }
        case .object(let members):
            for member in members {
                try validate(member.node, pointer: pointer + "/" + escapePointer(member.key), resolver: resolver)
            }
        }
    }

    private struct RenderState {
        let data: JSONValue
        let partials: any MustachePartialResolver
        var options: MustacheRenderOptions
        var missing: [String] = []
        var missingSeen: Set<String> = []

        init(data: JSONValue, partials: any MustachePartialResolver, options: MustacheRenderOptions) {
            self.data = data
            self.partials = partials
            self.options = options
            self.options.escaping = .none
        }

        mutating func render(_ node: Node, pointer: String) throws(MustacheError) -> JSONValue {
            switch node {
            case .template(let template):
                var renderer = Renderer(for: template.program, options: options, resolver: partials)
                do { try renderer.run(template.program, data: data) } catch { throw error.located(at: pointer) }
                // Later leaves get what is left of the budgets.
                options.maxOutputBytes -= renderer.out.count
                options.maxSteps -= renderer.steps
                for name in renderer.missing where missingSeen.insert(name).inserted { missing.append(name) }
                return .string(renderer.out.makeString())
            case .literal(let value):
                return value
            case .array(let nodes):
                var values: [JSONValue] = []
                values.reserveCapacity(nodes.count)
                for (index, node) in nodes.enumerated() { values.append(try render(node, pointer: pointer + "/\(index)")) }
                return .array(values)
            case .object(let members):
                var object = JSONObject()
                for member in members {
                    object[member.key] = try render(member.node, pointer: pointer + "/" + escapePointer(member.key))
                }
                return .object(object)
            }
        }
    }
}

public struct MustacheJSONRendering: Sendable, Hashable {
    public var value: JSONValue
    public var missingVariables: [String]

    public init(value: JSONValue, missingVariables: [String]) {
        self.value = value
        self.missingVariables = missingVariables
    }
}

extension MustacheError {
    /// Adds a leaf's JSON pointer to the error's context; the root needs none.
    func located(at pointer: String) -> MustacheError {
        guard !pointer.isEmpty else { return self }
        var error = self
        error.context = context.map { "\($0) at \(pointer)" } ?? pointer
        return error
    }
}
