import JSON

/// A tenant's brand: 20 theme strings and their dark-mode twins (`darkPrimary`).
public enum Brand {
    public static let baseNames = [
        "background", "foreground", "card", "cardForeground", "popover", "popoverForeground",
        "primary", "primaryForeground", "secondary", "secondaryForeground", "muted", "mutedForeground",
        "accent", "accentForeground", "destructive", "destructiveForeground", "border", "input", "ring", "radius",
    ]

    static let light = [
        "#ffffff", "#0a0a0a", "#ffffff", "#0a0a0a", "#ffffff", "#0a0a0a",
        "#4f46e5", "#ffffff", "#f4f4f5", "#18181b", "#f4f4f5", "#71717a",
        "#f4f4f5", "#18181b", "#dc2626", "#fafafa", "#e4e4e7", "#e4e4e7", "#4f46e5", "0.5rem",
    ]

    static let dark = [
        "#09090b", "#fafafa", "#09090b", "#fafafa", "#09090b", "#fafafa",
        "#818cf8", "#0a0a0a", "#27272a", "#fafafa", "#27272a", "#a1a1aa",
        "#27272a", "#fafafa", "#7f1d1d", "#fafafa", "#27272a", "#27272a", "#818cf8", "0.5rem",
    ]

    /// All 40 names, light first.
    public static let names: [String] = baseNames + baseNames.map { "dark" + $0.prefix(1).uppercased() + $0.dropFirst() }

    public static var defaults: JSONValue {
        var object = JSONObject()
        for (name, value) in zip(names, light + dark) { object[name] = .string(value) }
        return .object(object)
    }
}
