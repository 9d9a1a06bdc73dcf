/// The contract's `filterRangeType`: a time window and the window before it
/// (for `change`), resolved by PostgreSQL so they follow the session's UTC.
public enum StatsRange: String, Sendable, CaseIterable {
    case currentBillingCycle = "current_billing_cycle"
    case previousBillingCycle = "previous_billing_cycle"
    case currentThirtyDays = "current_thirty_days"
    case priorThirtyDays = "prior_thirty_days"
    case currentMonth = "current_month"
    case previousMonth = "previous_month"
    case currentYear = "current_year"
    case previousYear = "previous_year"
    case allTime = "all_time"
    case custom

    public static let `default` = StatsRange.currentBillingCycle

    /// SQL for `[start, end)` given `$cycle` (the billing cycle start, a
    /// timestamptz) and, for custom, `$from`/`$to`. Billing cycles are
    /// calendar months unless the tenant has a subscription period.
    func bounds(cycle: String, from: String, to: String) -> (start: String, end: String) {
        switch self {
        case .currentBillingCycle: return (cycle, "\(cycle) + interval '1 month'")
        case .previousBillingCycle: return ("\(cycle) - interval '1 month'", cycle)
        case .currentThirtyDays: return ("now() - interval '30 days'", "now()")
        case .priorThirtyDays: return ("now() - interval '60 days'", "now() - interval '30 days'")
        case .currentMonth: return ("date_trunc('month', now())", "date_trunc('month', now()) + interval '1 month'")
        case .previousMonth: return ("date_trunc('month', now()) - interval '1 month'", "date_trunc('month', now())")
        case .currentYear: return ("date_trunc('year', now())", "date_trunc('year', now()) + interval '1 year'")
        case .previousYear: return ("date_trunc('year', now()) - interval '1 year'", "date_trunc('year', now())")
        case .allTime: return ("'-infinity'::timestamptz", "'infinity'::timestamptz")
        case .custom: return ("\(from)::timestamptz", "\(to)::timestamptz")
        }
    }
}

/// One figure of a stats response: `{name, value, change, changeType}`.
public struct StatFigure: Sendable {
    public let name: String
    public let value: Int
    public let previous: Int

    /// Percent change against the window before, rounded to one decimal.
    public var change: Double {
        guard previous > 0 else { return value > 0 ? 100 : 0 }
        return ((Double(value - previous) / Double(previous)) * 1000).rounded() / 10
    }

    public var changeType: String { value > previous ? "increase" : value < previous ? "decrease" : "neutral" }
}
