import JSON

/// The AuthSettings document: which keys exist, their types and defaults, and
/// which of them are references stored as real foreign-key columns.
public enum AuthSettingsFields {
    public enum Kind: Sendable { case bool, integer, string }

    /// Flags and values kept in `tenant_auth_settings.settings`, with defaults.
    /// `exposed` keys are part of the contract's response; the rest are accepted
    /// and stored but not shown, since the response object is closed.
    public static let documentKeys: [(name: String, kind: Kind, defaultValue: JSONValue, exposed: Bool)] = [
        ("strategyUsernamePasswordEnabled", .bool, false, true),
        ("strategyEmailPasswordEnabled", .bool, true, true),
        ("strategyEmailLinkEnabled", .bool, false, true),
        ("strategyEmailCodeEnabled", .bool, true, true),
        ("strategyPhoneCodeEnabled", .bool, false, true),
        ("strategyPhonePasswordEnabled", .bool, false, true),
        ("strategyOAuthEnabled", .bool, false, true),
        ("strategyAuthenticatorCodeEnabled", .bool, false, true),
        ("strategySecurityKeyEnabled", .bool, false, true),
        ("passwordsEnabled", .bool, true, true),
        ("emailSignInEnabled", .bool, true, true),
        ("phoneSignInEnabled", .bool, false, true),
        ("usernameSignInEnabled", .bool, false, true),
        ("nameRequired", .bool, false, true),
        ("emailRequired", .bool, true, true),
        ("phoneRequired", .bool, false, true),
        ("usernameRequired", .bool, false, true),
        ("passwordRequired", .bool, true, true),
        ("emailVerificationRequired", .bool, true, true),
        ("phoneVerificationRequired", .bool, false, true),
        ("emailVerificationCodeEnabled", .bool, true, true),
        ("emailVerificationLinkEnabled", .bool, false, true),
        ("phoneVerificationCodeEnabled", .bool, false, true),
        ("sessionMaximumLifetimeEnabled", .bool, false, true),
        ("sessionMaximumLifetime", .integer, 604_800, true),
        ("sessionInactivityTimeoutEnabled", .bool, false, true),
        ("sessionInactivityTimeout", .integer, 86_400, true),
        ("organizationsEnabled", .bool, false, false),
        ("organizationMembershipLimit", .integer, 0, false),
        ("organizationAdminDeletingEnabled", .bool, false, false),
        ("organizationCustomDomainManagementEnabled", .bool, false, false),
        ("organizationAutomaticInvitationEnabled", .bool, false, false),
        ("organizationAutomaticInvitationSuggestionsEnabled", .bool, false, false),
        ("homeUri", .string, nil, true),
        ("frontendApiUri", .string, nil, true),
        ("signUpUri", .string, nil, true),
        ("signInRedirectUri", .string, nil, true),
        ("signInUri", .string, nil, true),
        ("signUpRedirectUri", .string, nil, true),
        ("logoutRedirectUri", .string, nil, true),
        ("userSettingsUri", .string, nil, true),
        ("organizationSettingsUri", .string, nil, true),
        ("createOrganizationUri", .string, nil, true),
        ("createOrganizationRedirectUri", .string, nil, true),
    ]

    /// The four session settings `PUT /auth/tenants/{id}/session` may change.
    public static let sessionKeys: Set<String> = [
        "sessionMaximumLifetimeEnabled", "sessionMaximumLifetime",
        "sessionInactivityTimeoutEnabled", "sessionInactivityTimeout",
    ]

    /// References: contract key → column, and the table the id must belong to.
    public static let references: [(name: String, column: String, table: String)] = [
        ("emailChannelId", "email_channel_id", "channels"),
        ("smsChannelId", "sms_channel_id", "channels"),
        ("codeVerificationEmailTemplateId", "code_verification_email_template_id", "notification_templates"),
        ("codeVerificationSMSMessageTemplateId", "code_verification_sms_template_id", "notification_templates"),
        ("magicLinkEmailTemplateId", "magic_link_email_template_id", "notification_templates"),
        ("magicLinkSMSMessageTemplateId", "magic_link_sms_template_id", "notification_templates"),
        ("welcomeEmailTemplateId", "welcome_email_template_id", "notification_templates"),
        ("welcomeSMSMessageTemplateId", "welcome_sms_template_id", "notification_templates"),
    ]

    /// The settings a new tenant starts with.
    public static var defaults: JSONValue {
        var object = JSONObject()
        for key in documentKeys where !key.defaultValue.isNull { object[key.name] = key.defaultValue }
        return .object(object)
    }

    /// A JSON expression over `a` (a tenant_auth_settings row) in the contract's shape.
    static let projection: String = {
        var parts = ["'id', a.id", "'tenantId', a.tenant_id"]
        for key in documentKeys where key.exposed {
            let fallback: String
            switch key.kind {
            case .bool: fallback = "'\(key.defaultValue == true ? "true" : "false")'::jsonb"
            case .integer: fallback = "'\(key.defaultValue.intValue ?? 0)'::jsonb"
            case .string: fallback = "'null'::jsonb"
            }
            parts.append("'\(key.name)', coalesce(a.settings->'\(key.name)', \(fallback))")
        }
        for reference in references { parts.append("'\(reference.name)', a.\(reference.column)") }
        parts.append("'createdAt', herald_ts(a.created_at)")
        parts.append("'updatedAt', herald_ts(a.updated_at)")
        // json_build_object takes at most 100 arguments: build in two halves.
        let half = parts.count / 2
        let first = parts[..<half].joined(separator: ", ")
        let second = parts[half...].joined(separator: ", ")
        return "json_build_object(" + first + ")::jsonb || json_build_object(" + second + ")::jsonb"
    }()
}
