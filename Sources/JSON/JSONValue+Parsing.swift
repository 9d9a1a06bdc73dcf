extension JSONValue {
    /// Parses a complete JSON document (see `JSONParser`).
    public init(parsing text: String, maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONError) {
        self = try JSONParser.parse(text, maxDepth: maxDepth)
    }

    public init(parsing bytes: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONError) {
        self = try JSONParser.parse(bytes, maxDepth: maxDepth)
    }
}
