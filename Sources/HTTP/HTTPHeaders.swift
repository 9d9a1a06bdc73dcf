/// Header fields in the order they were received or added. Names keep their spelling but are
/// compared case-insensitively (RFC 9110 §5.1); a name may occur several times.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral,
    CustomStringConvertible
{
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    public init() { fields = [] }

    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }
    public var description: String { fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n") }

    /// The first value for `name`. Setting replaces every field of that name (nil removes them).
    public subscript(name: String) -> String? {
        get { first(name) }
        set {
            if let newValue { replaceOrAdd(name: name, value: newValue) } else { remove(name: name) }
        }
    }

    public func first(_ name: String) -> String? {
        for field in fields where ASCII.equalsIgnoringCase(field.name, name) { return field.value }
        return nil
    }

    public func values(for name: String) -> [String] {
        fields.lazy.filter { ASCII.equalsIgnoringCase($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { first(name) != nil }

    /// Whether a comma-separated header (such as `Connection`) lists `token`, ignoring case.
    public func containsToken(_ token: String, in name: String) -> Bool {
        for field in fields where ASCII.equalsIgnoringCase(field.name, name) {
            for element in ASCII.listElements(field.value)
            where ASCII.equalsIgnoringCase(String(element), token) {
                return true
            }
        }
        return false
    }

    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    public mutating func replaceOrAdd(name: String, value: String) {
        if let i = fields.firstIndex(where: { ASCII.equalsIgnoringCase($0.name, name) }) {
            fields[i].value = value
            var j = i + 1
            while j < fields.count {
                if ASCII.equalsIgnoringCase(fields[j].name, name) { fields.remove(at: j) } else { j += 1 }
            }
        } else {
            add(name: name, value: value)
        }
    }

    public mutating func remove(name: String) {
        fields.removeAll { ASCII.equalsIgnoringCase($0.name, name) }
    }

    public struct Iterator: IteratorProtocol {
        var inner: IndexingIterator<[Field]>
        public mutating func next() -> (name: String, value: String)? {
            inner.next().map { ($0.name, $0.value) }
        }
    }

    public func makeIterator() -> Iterator { Iterator(inner: fields.makeIterator()) }
}
