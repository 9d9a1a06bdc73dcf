import Mustache

/// A problem in one part of a template, e.g. `body.html:3:7: unclosed section "items"`.
///
/// `part` names where it is: `subject`, `body.html`, `body.locales.de.text`, …
/// Structural problems (`body.html: Required`) have no position: line and column are 0.
public struct TemplateIssue: Sendable, Hashable, CustomStringConvertible {
    public var part: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(part: String, line: Int = 0, column: Int = 0, message: String) {
        self.part = part
        self.line = line
        self.column = column
        self.message = message
    }

    /// A Mustache error in `part`; its context (a JSON pointer, a partial) joins the message.
    init(part: String, _ error: MustacheError) {
        let message = error.context.map { "\(error.message) (in \($0))" } ?? error.message
        self.init(part: part, line: error.line, column: error.column, message: message)
    }

    public var description: String {
        line > 0 ? "\(part):\(line):\(column): \(message)" : "\(part): \(message)"
    }
}

/// A body or subject that does not make a template: every issue, found in one pass.
public struct TemplateCompileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var issues: [TemplateIssue]

    public init(issues: [TemplateIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// A render that failed: an unknown partial or a limit, with the part and position.
public struct TemplateRenderError: Error, Sendable, Hashable, CustomStringConvertible {
    public var issue: TemplateIssue

    public init(issue: TemplateIssue) { self.issue = issue }

    public var description: String { issue.description }
}
