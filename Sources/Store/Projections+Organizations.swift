/// Organizations, memberships, organization invitations and roles on the
/// wire. `_count` figures are counted by PostgreSQL in the same query.
extension Projection {
    /// A role over a row aliased `alias` (`t` in lists, `r` when embedded).
    static func role(_ alias: String) -> String {
        """
        json_build_object('id', \(alias).id, 'name', \(alias).name, 'description', \(alias).description,
          'permissions', to_json(\(alias).permissions), 'tenantId', \(alias).tenant_id,
          '_count', json_build_object(
            'users', (SELECT count(*) FROM users cu WHERE cu.role_id = \(alias).id),
            'members', (SELECT count(*) FROM organization_memberships cm WHERE cm.role_id = \(alias).id)),
          'createdAt', herald_ts(\(alias).created_at), 'updatedAt', herald_ts(\(alias).updated_at))
        """
    }

    static let organization = """
        json_build_object('id', t.id, 'creatorId', t.creator_id, 'tenantId', t.tenant_id, 'slug', t.slug,
          'name', t.name, 'imageUri', t.image_uri, 'privateMeta', t.private_meta, 'publicMeta', t.public_meta,
          '_count', json_build_object('members',
            (SELECT count(*) FROM organization_memberships om WHERE om.organization_id = t.id)),
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """

    /// How a tenant's user is named to others: primary email, else primary
    /// phone, else username (over a `users` row aliased `u`).
    static let userIdentifier = """
        coalesce((SELECT e.email FROM email_addresses e WHERE e.id = u.primary_email_id),
                 (SELECT p.phone FROM phone_numbers p WHERE p.id = u.primary_phone_id), u.username)
        """

    /// `role` and `user` are optional and not nullable in the contract, so
    /// they are merged in only when present (jsonb concatenation).
    static func embedded(roleOf column: String, userOf userColumn: String, userNameRequired: Bool) -> String {
        let name = userNameRequired ? "coalesce(u.name, '')" : "u.name"
        let identifier = userNameRequired ? "coalesce(\(userIdentifier), '')" : userIdentifier
        return """
            || coalesce((SELECT jsonb_build_object('role', \(role("r"))) FROM roles r WHERE r.id = \(column)), '{}'::jsonb)
            || coalesce((SELECT jsonb_build_object('user', json_build_object('id', u.id, 'name', \(name),
                           'identifier', \(identifier), 'imageUri', u.image_uri,
                           'createdAt', herald_ts(u.created_at), 'updatedAt', herald_ts(u.updated_at)))
                         FROM users u WHERE u.id = \(userColumn)), '{}'::jsonb)
            """
    }

    static let organizationMembership = """
        (jsonb_build_object('id', t.id, 'organizationId', t.organization_id, 'userId', t.user_id, 'roleId', t.role_id,
          'publicMeta', t.public_meta, 'privateMeta', t.private_meta,
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
          \(embedded(roleOf: "t.role_id", userOf: "t.user_id", userNameRequired: true)))
        """

    static let organizationInvitation = """
        (jsonb_build_object('id', t.id, 'organizationId', t.organization_id, 'roleId', t.role_id, 'email', t.email,
          'acceptedAt', herald_ts(t.accepted_at), 'declinedAt', herald_ts(t.declined_at),
          'publicMeta', t.public_meta, 'privateMeta', t.private_meta,
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
          \(embedded(roleOf: "t.role_id", userOf: "t.user_id", userNameRequired: false)))
        """
}
