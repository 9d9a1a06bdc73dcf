import JSON

extension ChannelSettingsRules {
    /// `providerSettings.fallbackChannelIds`: the channels a send moves to,
    /// in order, when this one fails in a way that points at its provider.
    static let fallbacksKey = "fallbackChannelIds"
    /// A handful: each step of a chain may cost an attempt.
    public static let maxFallbacks = 5

    /// The list's own shape: an array of at most `maxFallbacks` distinct
    /// id strings. Whether they exist, share the type and form no cycle
    /// needs the tenant's channels: the API checks that when saving.
    static func fallbackIssues(_ settings: JSONObject) -> [Issue] {
        guard let value = settings[fallbacksKey], !value.isNull else { return [] }
        guard let list = value.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
            return [Issue(key: fallbacksKey, problem: "must be an array of channel ids")]
        }
        let ids = list.compactMap(\.stringValue)
        if ids.count > maxFallbacks {
            return [Issue(key: fallbacksKey, problem: "may name at most \(maxFallbacks) channels")]
        }
        if Set(ids).count != ids.count { return [Issue(key: fallbacksKey, problem: "names a channel twice")] }
        return []
    }

    /// The ids of `settings`' fallback list, in order (empty when none or malformed).
    public static func fallbackChannelIds(_ settings: JSONObject) -> [String] {
        settings[fallbacksKey]?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}
