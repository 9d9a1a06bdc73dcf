/// A template problem with its 1-based position, e.g. `3:7: unclosed section "items"`.
///
/// Compile errors point at the offending tag. Render errors (limits, strict
/// partials) point at the tag in the top-level template that led to them.
public struct MustacheError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String
    /// Where the position applies when it is not the template itself:
    /// `partial "footer"`, or a JSON pointer such as `/title` in a JSON part.
    public var context: String?

    public init(line: Int, column: Int, message: String, context: String? = nil) {
        self.line = line
        self.column = column
        self.message = message
        self.context = context
    }

    public var description: String {
        let base = "\(line):\(column): \(message)"
        guard let context else { return base }
        return "\(base) (in \(context))"
    }
}

/// Line and column of a byte offset, columns counted in Unicode scalars.
struct SourcePosition: Sendable, Hashable {
    var line: Int32
    var column: Int32

    /// Positions for ascending byte offsets in one pass over the source.
    static func positions(of offsets: [Int], in source: [UInt8]) -> [SourcePosition] {
        var result: [SourcePosition] = []
        result.reserveCapacity(offsets.count)
        var line: Int32 = 1, column: Int32 = 1, index = 0
        for offset in offsets {
            if offset < index { line = 1; column = 1; index = 0 }  // out of order: start over
            while index < offset && index < source.count {
                let byte = source[index]
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
                index += 1
            }
            result.append(SourcePosition(line: line, column: column))
        }
        return result
    }

    static func of(_ offset: Int, in source: [UInt8]) -> SourcePosition {
        positions(of: [offset], in: source)[0]
    }

    func error(_ message: String) -> MustacheError {
        MustacheError(line: Int(line), column: Int(column), message: message)
    }
}
