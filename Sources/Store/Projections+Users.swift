/// Wire shapes of users, their email addresses and phone numbers, sessions and
/// sign-in/sign-up attempts. Functions take the row alias so the shapes nest
/// (a session's user, an attempt's user) without alias clashes.
extension Projection {
    static func emailAddress(_ a: String) -> String {
        """
        json_build_object('id', \(a).id, 'tenantId', \(a).tenant_id, 'userId', \(a).user_id, 'email', \(a).email,
          'verifiedAt', herald_ts(\(a).verified_at), 'createdAt', herald_ts(\(a).created_at),
          'updatedAt', herald_ts(\(a).updated_at))
        """
    }

    static func phoneNumber(_ a: String) -> String {
        """
        json_build_object('id', \(a).id, 'tenantId', \(a).tenant_id, 'userId', \(a).user_id, 'phone', \(a).phone,
          'verifiedAt', herald_ts(\(a).verified_at), 'createdAt', herald_ts(\(a).created_at),
          'updatedAt', herald_ts(\(a).updated_at))
        """
    }

    /// A user with role, email addresses and phone numbers (oldest first), as the
    /// contract's User; the password hash never appears.
    static func user(_ a: String) -> String {
        """
        json_build_object('id', \(a).id, 'tenantId', \(a).tenant_id, 'name', \(a).name, 'imageUri', \(a).image_uri,
          'lastSignInAt', herald_ts(\(a).last_sign_in_at), 'lastActiveAt', herald_ts(\(a).last_active_at),
          'username', \(a).username, 'status', \(a).status, 'roleId', \(a).role_id,
          'role', (SELECT json_build_object('id', r.id, 'name', r.name, 'description', r.description,
                                            'permissions', to_json(r.permissions))
                   FROM roles r WHERE r.id = \(a).role_id),
          'primaryEmailId', \(a).primary_email_id, 'primaryPhoneId', \(a).primary_phone_id,
          'emailAddresses', coalesce((SELECT json_agg(\(emailAddress("ue")) ORDER BY ue.created_at, ue.seq)
                                      FROM email_addresses ue WHERE ue.user_id = \(a).id), '[]'::json),
          'phoneNumbers', coalesce((SELECT json_agg(\(phoneNumber("up")) ORDER BY up.created_at, up.seq)
                                    FROM phone_numbers up WHERE up.user_id = \(a).id), '[]'::json),
          'publicMeta', \(a).public_meta, 'privateMeta', \(a).private_meta,
          'createdAt', herald_ts(\(a).created_at), 'updatedAt', herald_ts(\(a).updated_at))
        """
    }

    static let userT = user("t")

    /// The user a row points at, or null.
    static func userOf(_ column: String) -> String {
        "(SELECT \(user("uu")) FROM users uu WHERE uu.id = \(column))"
    }

    static func signInAttempt(_ a: String) -> String {
        """
        json_build_object('id', \(a).id, 'tenantId', \(a).tenant_id, 'userId', \(a).user_id,
          'ipAddress', \(a).ip_address, 'userAgent', \(a).user_agent, 'identifier', \(a).identifier,
          'status', \(a).status, 'strategy', \(a).strategy, 'oauthProviderId', \(a).oauth_provider_id,
          'oauthProvider', (SELECT json_build_object('id', sp.id, 'tenantId', sp.tenant_id, 'providerKey', sp.provider_key,
                              'enabled', sp.enabled, 'useCustomCredentials', sp.use_custom_credentials,
                              'clientId', sp.client_id, 'redirectUri', sp.redirect_uri,
                              'additionalScopes', sp.additional_scopes,
                              'createdAt', herald_ts(sp.created_at), 'updatedAt', herald_ts(sp.updated_at))
                            FROM social_providers sp WHERE sp.id = \(a).oauth_provider_id),
          'user', \(userOf("\(a).user_id")),
          'createdAt', herald_ts(\(a).created_at), 'updatedAt', herald_ts(\(a).updated_at))
        """
    }

    static func signUpAttempt(_ a: String) -> String {
        """
        json_build_object('id', \(a).id, 'tenantId', \(a).tenant_id, 'userId', \(a).user_id,
          'user', \(userOf("\(a).user_id")),
          'createdAt', herald_ts(\(a).created_at), 'updatedAt', herald_ts(\(a).updated_at))
        """
    }

    static let session = """
        json_build_object('id', t.id, 'browser', t.browser, 'device', t.device, 'engine', t.engine, 'os', t.os,
          'cpu', t.cpu, 'ua', t.ua, 'ip', t.ip, 'tenantId', t.tenant_id, 'userId', t.user_id,
          'user', \(userOf("t.user_id")),
          'signInAttemptId', t.sign_in_attempt_id,
          'signInAttempt', (SELECT \(signInAttempt("si")) FROM sign_in_attempts si WHERE si.id = t.sign_in_attempt_id),
          'signUpAttemptId', t.sign_up_attempt_id,
          'signUpAttempt', (SELECT \(signUpAttempt("su")) FROM sign_up_attempts su WHERE su.id = t.sign_up_attempt_id),
          'expiresAt', herald_ts(t.expires_at), 'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """
}
