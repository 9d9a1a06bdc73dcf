/// The block overrides in effect, passed down by enclosing parent tags.
/// Outer parents win: their arguments shadow those of parents they call.
final class BlockScope: Sendable {
    struct Override: Sendable {
        /// Where the overriding content lives, and the scope it was written in.
        let program: Program
        let block: Int
        let scope: BlockScope
    }

    let overrides: [String: Override]

    init(_ overrides: [String: Override]) { self.overrides = overrides }

    static let empty = BlockScope([:])

    /// This scope plus a parent tag's own arguments, which do not replace ours.
    func adding(_ blocks: [String: Int], from program: Program) -> BlockScope {
        guard !blocks.isEmpty else { return self }
        var merged = overrides
        for (name, block) in blocks where merged[name] == nil {
            merged[name] = Override(program: program, block: block, scope: self)
        }
        return BlockScope(merged)
    }
}
