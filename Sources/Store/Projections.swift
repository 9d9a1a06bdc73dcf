/// How each resource looks on the wire, as PostgreSQL JSON expressions over a
/// row aliased `t`. Key order follows the contract's schemas.
enum Projection {
    static let tenant = """
        json_build_object('id', t.id, 'name', t.name, 'slug', t.slug, 'publicKey', t.public_key,
          'logoId', t.logo_id, 'logoUri', t.logo_uri, 'iconId', t.icon_id, 'iconUri', t.icon_uri,
          'environment', t.environment, 'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """

    static let platformUser = """
        json_build_object('id', t.id, 'email', t.email, 'name', t.name,
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """

    /// The tenant with its AuthSettings (`a`) and domains, as `/auth/tenants/{id}` answers it.
    static let authTenant = """
        json_build_object('id', t.id, 'name', t.name, 'slug', t.slug, 'publicKey', t.public_key,
          'logoId', t.logo_id, 'logoUri', t.logo_uri, 'iconId', t.icon_id, 'iconUri', t.icon_uri,
          'environment', t.environment, 'creatorId', t.creator_id,
          'auth', (SELECT \(AuthSettingsFields.projection) FROM tenant_auth_settings a WHERE a.tenant_id = t.id),
          'domains', coalesce((SELECT json_agg(json_build_object('primary', d."primary", 'name', d.name) ORDER BY d.created_at)
                               FROM domains d WHERE d.tenant_id = t.id), '[]'::json),
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """

    /// A platform user as a member's `user`: platform users have one email,
    /// proven by their token, so it stands as the verified primary address.
    static let memberUser = """
        (SELECT json_build_object('id', u.id,
           'emailAddresses', json_build_array(json_build_object('id', u.id, 'email', u.email, 'verifiedAt', herald_ts(u.created_at))),
           'primaryEmailId', u.id, 'name', u.name)
         FROM platform_users u WHERE u.id = t.platform_user_id)
        """

    static let roleFlags = """
        'roleAdmin', t.role_admin, 'roleEditOrganizations', t.role_edit_organizations,
        'roleEditUsers', t.role_edit_users, 'roleEditConfig', t.role_edit_config, 'roleViewUsers', t.role_view_users,
        'roleViewOrganizations', t.role_view_organizations, 'roleViewConfig', t.role_view_config,
        'roleViewBilling', t.role_view_billing, 'roleEditBilling', t.role_edit_billing
        """

    static let tenantMember = """
        json_build_object('id', t.id, 'tenantId', t.tenant_id, 'userId', t.platform_user_id, 'user', \(memberUser),
          \(roleFlags), 'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """
}

extension Projection {
    static let template = """
        json_build_object('id', t.id, 'tenantId', t.tenant_id, 'name', t.name, 'body', t.body, 'subject', t.subject,
          'type', t.type, 'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """

    static let templateVersion = """
        json_build_object('version', v.version, 'subject', v.subject, 'body', v.body, 'content', v.content,
          'createdAt', herald_ts(v.created_at))
        """
}

extension Projection {
    /// `providerSettings` here holds only the non-secret settings; the API adds the masks.
    static let channel = """
        json_build_object('id', t.id, 'tenantId', t.tenant_id, 'name', t.name, 'key', t.key, 'description', t.description,
          'type', t.type, 'provider', t.provider, 'enabled', t.enabled, 'providerSettings', t.provider_settings,
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """

    /// The list item of the contract has no provider fields.
    static let channelListItem = """
        json_build_object('id', t.id, 'tenantId', t.tenant_id, 'name', t.name, 'key', t.key, 'description', t.description,
          'type', t.type, 'provider', t.provider, 'enabled', t.enabled,
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """
}

extension Projection {
    /// A notification as API.md §5 lists it. Credentials meant for the
    /// recipient alone never leave through the API: verification codes and
    /// accept or sign-in links are dropped from the variables.
    static let notification = """
        json_build_object('id', t.id, 'tenantId', t.tenant_id, 'templateId', t.template_id, 'channelId', t.channel_id,
          'type', t.type, 'to', t."to", 'locale', t.locale, 'variables', t.variables - 'code' - 'acceptUrl' - 'magicLinkUrl', 'status', \(notificationStatus),
          'attempts', t.attempts, 'lastError', t.last_error, 'scheduledAt', herald_ts(t.scheduled_at),
          'sentAt', herald_ts(t.sent_at), 'providerMessageId', t.provider_message_id, 'test', t.test,
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """

    /// The log says `queued` until the send ends; a leased queue row means
    /// it is being sent (migration 0006).
    static let notificationStatus = """
        CASE WHEN t.status = 'queued' AND EXISTS (
          SELECT 1 FROM notification_queue j WHERE j.id = t.id AND j.locked_by IS NOT NULL) THEN 'sending' ELSE t.status END
        """

    static let notificationAttempt = """
        json_build_object('attempt', a.attempt, 'startedAt', herald_ts(a.started_at), 'durationMs', a.duration_ms,
          'outcome', a.outcome, 'providerResponse', a.provider_response, 'error', a.error,
          'channelId', a.channel_id, 'provider', a.provider)
        """
}
