/// Wire shapes of tenant invitations, billing and domains (Projections.swift
/// holds the tenant member these reuse).
extension Projection {
    /// The invitation's fields; `userId` and `user` only when the address
    /// belongs to a platform user (both optional, `user` not nullable), hence
    /// `json_strip_nulls`: nothing else in it can be null.
    private static func invitationFields(_ extra: String = "") -> String {
        """
        json_strip_nulls(json_build_object('id', t.id, 'tenantId', t.tenant_id, 'email', t.email,
          'userId', t.platform_user_id, 'user', \(memberUser), \(roleFlags),\(extra)
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at)))
        """
    }

    static let tenantInvitation = invitationFields()

    /// As `/user/invitations` lists it: with the inviting tenant's summary.
    static let userInvitation = invitationFields("""
         'tenant', (SELECT json_build_object('id', n.id, 'name', n.name, 'slug', n.slug, 'logoUri', n.logo_uri,
                                             'iconUri', n.icon_uri) FROM tenants n WHERE n.id = t.tenant_id),
        """)

    static let domain = """
        json_build_object('id', t.id, 'tenantId', t.tenant_id, 'name', t.name, 'primary', t."primary", 'type', t.type,
          'verified', t.verified, 'verificationRecordType', t.verification_record_type,
          'verificationRecordDomain', t.verification_record_domain, 'verificationRecordValue', t.verification_record_value,
          'verificationRecordReason', t.verification_record_reason,
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """

    /// Metered usage of a subscription `t`, counted from Herald's own tables:
    /// users and organizations in total, storage as the bytes of the files
    /// kept, uploads and notifications (tests excluded) in the current period.
    static let meteredUsage: [(key: String, sql: String)] = [
        ("meteredUsageAuthUsers", "(SELECT count(*) FROM users x WHERE x.tenant_id = t.tenant_id)"),
        ("meteredUsageAuthOrganizations", "(SELECT count(*) FROM organizations x WHERE x.tenant_id = t.tenant_id)"),
        ("meteredUsageMediaUploads", """
            (SELECT count(*) FROM uploads x WHERE x.tenant_id = t.tenant_id
               AND x.created_at >= t.current_period_start AND x.created_at < t.current_period_end)
            """),
        ("meteredUsageMediaStorage", """
            (SELECT coalesce(sum(x.size), 0) FROM files x WHERE x.tenant_id = t.tenant_id AND x.deleted_at IS NULL)
            """),
        ("meteredUsageMediaBandwidth", "0"),
        ("meteredUsageMediaProcessingTime", "0"),
        ("meteredUsageNotifications", """
            (SELECT count(*) FROM notifications x WHERE x.tenant_id = t.tenant_id AND NOT x.test
               AND x.created_at >= t.current_period_start AND x.created_at < t.current_period_end)
            """),
    ]

    /// No payment provider: the provider ids are Herald's own, the per-meter
    /// provider subscriptions do not exist.
    static let subscription = """
        json_build_object('id', t.id, 'stripeId', 'local_' || t.id, 'customerId', t.customer_id, 'status', t.status,
          'plan', t.plan, 'collectionMethod', t.collection_method,
          'currentPeriodStart', herald_ts(t.current_period_start), 'currentPeriodEnd', herald_ts(t.current_period_end),
          \(meteredUsage.map { "'\($0.key)', \($0.sql)" }.joined(separator: ",\n  ")),
          'stripeMonthlySubId', NULL, 'stripeMeteredAuthUsersSubId', NULL, 'stripeMeteredAuthOrganizationsSubId', NULL,
          'stripeMeteredMediaUploadsSubId', NULL, 'stripeMeteredMediaStorageSubId', NULL,
          'stripeMeteredMediaBandwidthSubId', NULL, 'stripeMeteredMediaProcessingTimeSubId', NULL,
          'stripeMeteredNotificationsSubId', NULL,
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """

    static let customer = """
        json_build_object('id', t.id, 'stripeId', 'local_' || t.id, 'email', t.email,
          'paymentMethodId', t.payment_method_id, 'paymentMethodLast4', t.payment_method_last4,
          'paymentMethodBrand', t.payment_method_brand,
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """
}
