/// How interpolated values are escaped. Static template text is never escaped.
public enum MustacheEscaping: Sendable, Hashable {
    /// `& < > " '` become entities: for HTML bodies.
    case html
    /// Values are written as they are: for plain text, subjects, SMS.
    case none
}

public struct MustacheCompileOptions: Sendable, Hashable {
    /// Sections, inverted sections, parents and blocks nested deeper than this fail to compile.
    public var maxNestingDepth: Int

    public init(maxNestingDepth: Int = 100) {
        self.maxNestingDepth = maxNestingDepth
    }
}

public struct MustacheRenderOptions: Sendable, Hashable {
    public var escaping: MustacheEscaping
    /// Rendering fails once the output grows past this many UTF-8 bytes.
    public var maxOutputBytes: Int
    /// Partials and parents nested deeper than this (recursion) fail the render.
    public var maxPartialDepth: Int
    /// Bound on instructions executed, so nested loops over data cannot hang a worker.
    public var maxSteps: Int
    /// Report a partial the resolver does not know instead of rendering it empty.
    public var strictPartials: Bool

    public init(
        escaping: MustacheEscaping = .html,
        maxOutputBytes: Int = 4 << 20,
        maxPartialDepth: Int = 50,
        maxSteps: Int = 10_000_000,
        strictPartials: Bool = false
    ) {
        self.escaping = escaping
        self.maxOutputBytes = maxOutputBytes
        self.maxPartialDepth = maxPartialDepth
        self.maxSteps = maxSteps
        self.strictPartials = strictPartials
    }
}

/// What a render produced, and the names it looked up that the data lacks.
public struct MustacheRendering: Sendable, Hashable {
    public var output: String
    /// Dotted names as written, each once, in the order first looked up.
    public var missingVariables: [String]

    public init(output: String, missingVariables: [String]) {
        self.output = output
        self.missingVariables = missingVariables
    }
}
