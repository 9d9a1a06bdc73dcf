/// The plans Herald offers: a setting of this code, not of a payment
/// provider. Each has a monthly price, usage included, and a price per unit
/// beyond it (storage per GiB). The free plan bills nothing beyond its price.
struct BillingPlan: Sendable {
    let nickname: String
    let monthlyPrice: Double
    /// Meter key (as the subscription names it) → units included per period.
    let included: [String: Int64]
    /// Meter key → price per unit beyond what is included; absent: not billed.
    let overage: [String: Double]

    static let gibibyte: Int64 = 1 << 30
    static let storageMeter = "meteredUsageMediaStorage"

    static let all: [BillingPlan] = [
        BillingPlan(nickname: "free", monthlyPrice: 0, included: [
            "meteredUsageAuthUsers": 1_000, "meteredUsageAuthOrganizations": 100, "meteredUsageMediaUploads": 1_000,
            storageMeter: 1 * gibibyte, "meteredUsageNotifications": 1_000,
        ], overage: [:]),
        BillingPlan(nickname: "pro", monthlyPrice: 25, included: [
            "meteredUsageAuthUsers": 10_000, "meteredUsageAuthOrganizations": 1_000, "meteredUsageMediaUploads": 10_000,
            storageMeter: 10 * gibibyte, "meteredUsageNotifications": 50_000,
        ], overage: [
            "meteredUsageAuthUsers": 0.02, "meteredUsageAuthOrganizations": 0.10, "meteredUsageMediaUploads": 0.001,
            storageMeter: 0.10, "meteredUsageNotifications": 0.001,
        ]),
        BillingPlan(nickname: "enterprise", monthlyPrice: 499, included: [
            "meteredUsageAuthUsers": 100_000, "meteredUsageAuthOrganizations": 10_000, "meteredUsageMediaUploads": 100_000,
            storageMeter: 100 * gibibyte, "meteredUsageNotifications": 1_000_000,
        ], overage: [
            "meteredUsageAuthUsers": 0.01, "meteredUsageAuthOrganizations": 0.05, "meteredUsageMediaUploads": 0.0005,
            storageMeter: 0.05, "meteredUsageNotifications": 0.0005,
        ]),
    ]

    static let `default` = all[0]

    static func named(_ nickname: String) -> BillingPlan? {
        all.first { $0.nickname == nickname.lowercased() }
    }

    /// The period's price: the plan plus usage beyond what it includes, in
    /// dollars rounded to cents. Storage is billed per started GiB.
    func estimate(usage: [String: Int64]) -> Double {
        var total = monthlyPrice
        for (meter, price) in overage {
            let beyond = max(0, (usage[meter] ?? 0) - (included[meter] ?? 0))
            let units = meter == Self.storageMeter ? (beyond + Self.gibibyte - 1) / Self.gibibyte : beyond
            total += Double(units) * price
        }
        return (total * 100).rounded() / 100
    }
}
