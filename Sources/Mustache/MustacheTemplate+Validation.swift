extension MustacheTemplate {
    /// Strict check that every partial and parent named here, and in the
    /// partials those name in turn, resolves. Dynamic names depend on data and
    /// are checked at render time with `MustacheRenderOptions.strictPartials`.
    /// The error is `unknown partial "x"` at the tag that names it.
    public func validatePartials(_ resolver: any MustachePartialResolver) throws(MustacheError) {
        var visited: Set<String> = []
        try validate(resolver, visited: &visited, context: nil)
    }

    private func validate(
        _ resolver: any MustachePartialResolver, visited: inout Set<String>, context: String?
    ) throws(MustacheError) {
        for (call, op) in staticCalls {
            guard let partial = resolver.template(named: call.name) else {
                var error = program.positions[op].error("unknown partial \"\(call.name)\"")
                error.context = context
                throw error
            }
            if visited.insert(call.name).inserted {
                try partial.validate(resolver, visited: &visited, context: "partial \"\(call.name)\"")
            }
        }
    }
}
