/// Where an issue is for an editor: the part as the editor names its tabs
/// (`html`, not `body.html`) and the locale it belongs to (nil: the default).
extension TemplateIssue {
    public var location: (part: String, locale: String?) {
        var rest = Substring(part)
        if rest.hasPrefix("body.") { rest = rest.dropFirst("body.".count) }
        guard rest.hasPrefix("locales.") else { return (String(rest), nil) }
        let afterLocales = rest.dropFirst("locales.".count)
        // `body.locales.de` itself (an entry that is not an object): the locale, no part.
        guard let dot = afterLocales.firstIndex(of: ".") else { return ("locales", String(afterLocales)) }
        return (String(afterLocales[afterLocales.index(after: dot)...]), String(afterLocales[..<dot]))
    }
}
