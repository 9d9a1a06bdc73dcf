/// Layering one document over another: a send's own variables over the
/// context built from its tenant (`Store.sendContext`).
extension JSONValue {
    /// `overrides` laid over `self`: objects merge key by key, at every depth;
    /// anything else in `overrides` (a string, an array, null) replaces what
    /// was there. So `{"tenant":{"name":"X"}}` changes the name and keeps the
    /// tenant's other keys.
    public func merging(_ overrides: JSONValue) -> JSONValue {
        guard case .object(var base) = self, case .object(let layer) = overrides else { return overrides }
        // Nothing to lay over, or nothing under: the other side as it is (a bulk send merges a
        // thousand messages' variables over a context that is often empty).
        if layer.isEmpty { return self }
        if base.isEmpty { return overrides }
        for (key, value) in layer {
            base[key] = base[key].map { $0.merging(value) } ?? value
        }
        return .object(base)
    }
}
