/// One node of the routing trie: literal children by decoded segment, one parameter child,
/// and the routes ending here by method.
struct RouteNode: Sendable {
    enum Segment {
        case literal(String)
        case parameter
    }

    struct Route: Sendable {
        var parameterNames: [String]
        var handler: RouteHandler
    }

    var literals: [String: RouteNode] = [:]
    /// Zero or one element; an array gives the recursive type its indirection.
    var parameter: [RouteNode] = []
    var routes: [HTTPMethod: Route] = [:]

    mutating func insert(_ segments: ArraySlice<Segment>, method: HTTPMethod, route: Route) {
        guard let first = segments.first else {
            routes[method] = route
            return
        }
        switch first {
        case .literal(let name):
            literals[name, default: RouteNode()].insert(segments.dropFirst(), method: method, route: route)
        case .parameter:
            if parameter.isEmpty { parameter.append(RouteNode()) }
            parameter[0].insert(segments.dropFirst(), method: method, route: route)
        }
    }

    func route(for method: HTTPMethod) -> Route? {
        if let route = routes[method] { return route }
        if method == .head { return routes[.get] }
        return nil
    }

    var allowedMethods: [String] {
        var names = Set(routes.keys.map(\.rawValue))
        if names.contains("GET") { names.insert("HEAD") }
        return names.sorted()
    }

    /// Depth-first, literal before parameter. Returns the first node with a route for `method`;
    /// `fallback` receives the first node that matched the path at all (for 405).
    func find(_ segments: ArraySlice<String>, method: HTTPMethod, values: inout [String],
              fallback: inout RouteNode?) -> Route? {
        guard let first = segments.first else {
            guard !routes.isEmpty else { return nil }
            if let route = route(for: method) { return route }
            if fallback == nil { fallback = self }
            return nil
        }
        let rest = segments.dropFirst()
        if let child = literals[first],
           let found = child.find(rest, method: method, values: &values, fallback: &fallback) {
            return found
        }
        if let child = parameter.first {
            values.append(first)
            if let found = child.find(rest, method: method, values: &values, fallback: &fallback) {
                return found
            }
            values.removeLast()
        }
        return nil
    }
}
