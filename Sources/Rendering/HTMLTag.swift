/// One start or end tag, read from `<` to its `>` with its attributes.
struct HTMLTag {
    var name: String
    var isEnd: Bool
    var selfClosing = false
    /// Names lowercased, values with entities decoded.
    var attributes: [String: String] = [:]
    /// The index just past `>`.
    var end: Int

    /// Elements readers never see: `display:none` (the preheader) or `hidden`.
    var isHidden: Bool {
        if attributes["hidden"] != nil { return true }
        guard let style = attributes["style"] else { return false }
        let compact = String(String.UnicodeScalarView(style.unicodeScalars.filter { !$0.isCollapsibleSpace }))
        return compact.lowercased().contains("display:none")
    }

    /// nil when `<` does not start a tag (`a < b`) or the tag never closes.
    static func parse(_ source: [Unicode.Scalar], at start: Int) -> HTMLTag? {
        var i = start + 1
        let isEnd = i < source.count && source[i] == "/"
        if isEnd { i += 1 }
        guard i < source.count, (0x61...0x7A).contains(source[i].lowercased.value) else { return nil }
        let nameStart = i
        while i < source.count, source[i].isNameCharacter { i += 1 }
        var tag = HTMLTag(name: lowercase(source[nameStart..<i]), isEnd: isEnd, end: i)

        while i < source.count {
            let scalar = source[i]
            if scalar == ">" {
                tag.end = i + 1
                return tag
            }
            if scalar == "/" {
                tag.selfClosing = i + 1 < source.count && source[i + 1] == ">"
                i += 1
                continue
            }
            if scalar.isCollapsibleSpace {
                i += 1
                continue
            }
            // An attribute: name, then optionally `=` and a quoted or bare value.
            let attributeStart = i
            while i < source.count, !source[i].isCollapsibleSpace, source[i] != "=", source[i] != ">", source[i] != "/" {
                i += 1
            }
            let attribute = lowercase(source[attributeStart..<i])
            while i < source.count, source[i].isCollapsibleSpace { i += 1 }
            var value = ""
            if i < source.count, source[i] == "=" {
                i += 1
                while i < source.count, source[i].isCollapsibleSpace { i += 1 }
                guard i < source.count else { return nil }
                let valueStart: Int
                let valueEnd: Int
                if source[i] == "\"" || source[i] == "'" {
                    let quote = source[i]
                    valueStart = i + 1
                    i = valueStart
                    while i < source.count, source[i] != quote { i += 1 }
                    guard i < source.count else { return nil }
                    valueEnd = i
                    i += 1
                } else {
                    valueStart = i
                    while i < source.count, !source[i].isCollapsibleSpace, source[i] != ">" { i += 1 }
                    valueEnd = i
                }
                value = HTMLEntities.decodeAll(Array(source[valueStart..<valueEnd]))
            }
            if !attribute.isEmpty, tag.attributes[attribute] == nil { tag.attributes[attribute] = value }
        }
        return nil
    }

    private static func lowercase(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        String(String.UnicodeScalarView(scalars.map(\.lowercased)))
    }
}
