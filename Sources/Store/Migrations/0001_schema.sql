-- Herald's schema for the whole pxyz Backend API.
--
-- Conventions:
--  * ids are text `c` + 24 base-36 characters, made by the application;
--  * every tenant-owned table carries tenant_id first, so indexes lead with it
--    and a tenant-sharded PostgreSQL (Citus) can distribute on it later;
--  * listable tables have `seq`, an identity that breaks ties between rows that
--    share a created_at (one statement inserting many rows), so cursor paging on
--    (created_at, seq) never skips or repeats a row;
--  * secrets are stored encrypted (`*_enc`, AES-256-GCM under HERALD_MASTER_KEY)
--    plus an HMAC digest where they must be looked up.

-- Timestamps on the wire: UTC, ISO-8601 with milliseconds. Responses are built
-- as JSON by PostgreSQL itself (json_build_object), so the formatting lives here.
CREATE FUNCTION herald_ts(t timestamptz) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- Stored timestamps are truncated to the millisecond the API shows, so a
-- client's cursor (the createdAt it saw) compares exactly with the column.
CREATE FUNCTION herald_now() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT date_trunc('milliseconds', now()) $$;

CREATE TABLE platform_users (
    id          text PRIMARY KEY,
    email       text NOT NULL,
    name        text NOT NULL DEFAULT '',
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    created_at  timestamptz NOT NULL DEFAULT herald_now(),
    updated_at  timestamptz NOT NULL DEFAULT herald_now()
);
CREATE UNIQUE INDEX platform_users_email ON platform_users (lower(email));

CREATE TABLE tenants (
    id                 text PRIMARY KEY,
    name               text NOT NULL,
    slug               text NOT NULL,
    environment        text NOT NULL CHECK (environment IN ('development', 'staging', 'production')),
    public_key         text NOT NULL,
    secret_key_enc     text NOT NULL,
    secret_key_digest  text NOT NULL,
    logo_id            text,
    logo_uri           text,
    icon_id            text,
    icon_uri           text,
    creator_id         text REFERENCES platform_users (id) ON DELETE SET NULL,
    org_id             text,
    brand              jsonb NOT NULL DEFAULT '{}',
    seq                bigint GENERATED ALWAYS AS IDENTITY,
    created_at         timestamptz NOT NULL DEFAULT herald_now(),
    updated_at         timestamptz NOT NULL DEFAULT herald_now()
);
CREATE UNIQUE INDEX tenants_slug ON tenants (slug);
CREATE UNIQUE INDEX tenants_public_key ON tenants (public_key);
CREATE INDEX tenants_creator ON tenants (creator_id);

-- Platform users who run a tenant, with the contract's role flags.
CREATE TABLE tenant_members (
    id                       text PRIMARY KEY,
    tenant_id                text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    platform_user_id         text NOT NULL REFERENCES platform_users (id) ON DELETE CASCADE,
    role_admin               boolean NOT NULL DEFAULT false,
    role_edit_organizations  boolean NOT NULL DEFAULT false,
    role_edit_users          boolean NOT NULL DEFAULT false,
    role_edit_config         boolean NOT NULL DEFAULT false,
    role_view_users          boolean NOT NULL DEFAULT false,
    role_view_organizations  boolean NOT NULL DEFAULT false,
    role_view_config         boolean NOT NULL DEFAULT false,
    role_view_billing        boolean NOT NULL DEFAULT false,
    role_edit_billing        boolean NOT NULL DEFAULT false,
    seq                      bigint GENERATED ALWAYS AS IDENTITY,
    created_at               timestamptz NOT NULL DEFAULT herald_now(),
    updated_at               timestamptz NOT NULL DEFAULT herald_now(),
    UNIQUE (tenant_id, platform_user_id)
);
CREATE INDEX tenant_members_user ON tenant_members (platform_user_id);
CREATE INDEX tenant_members_page ON tenant_members (tenant_id, created_at DESC, seq DESC);

CREATE TABLE tenant_invitations (
    id                       text PRIMARY KEY,
    tenant_id                text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email                    text NOT NULL,
    platform_user_id         text REFERENCES platform_users (id) ON DELETE SET NULL,
    inviter_id               text REFERENCES platform_users (id) ON DELETE SET NULL,
    role_admin               boolean NOT NULL DEFAULT false,
    role_edit_organizations  boolean NOT NULL DEFAULT false,
    role_edit_users          boolean NOT NULL DEFAULT false,
    role_edit_config         boolean NOT NULL DEFAULT false,
    role_view_users          boolean NOT NULL DEFAULT false,
    role_view_organizations  boolean NOT NULL DEFAULT false,
    role_view_config         boolean NOT NULL DEFAULT false,
    role_view_billing        boolean NOT NULL DEFAULT false,
    role_edit_billing        boolean NOT NULL DEFAULT false,
    accepted_at              timestamptz,
    declined_at              timestamptz,
    seq                      bigint GENERATED ALWAYS AS IDENTITY,
    created_at               timestamptz NOT NULL DEFAULT herald_now(),
    updated_at               timestamptz NOT NULL DEFAULT herald_now()
);
CREATE INDEX tenant_invitations_page ON tenant_invitations (tenant_id, created_at DESC, seq DESC);
CREATE INDEX tenant_invitations_email ON tenant_invitations (lower(email));
CREATE INDEX tenant_invitations_user ON tenant_invitations (platform_user_id);
CREATE INDEX tenant_invitations_inviter ON tenant_invitations (inviter_id);

-- Billing kept locally: plans are a setting, usage is counted from our tables.
CREATE TABLE tenant_subscriptions (
    id                    text PRIMARY KEY,
    tenant_id             text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    plan                  text NOT NULL,
    status                text NOT NULL,
    collection_method     text NOT NULL DEFAULT 'charge_automatically',
    payment_method        jsonb,
    current_period_start  timestamptz NOT NULL,
    current_period_end    timestamptz NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT herald_now(),
    updated_at            timestamptz NOT NULL DEFAULT herald_now(),
    UNIQUE (tenant_id)
);

CREATE TABLE domains (
    id                          text PRIMARY KEY,
    tenant_id                   text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name                        text NOT NULL,
    "primary"                   boolean NOT NULL DEFAULT false,
    type                        text NOT NULL DEFAULT 'external' CHECK (type IN ('protocol', 'external')),
    verified                    boolean NOT NULL DEFAULT false,
    verification_record_type    text,
    verification_record_domain  text,
    verification_record_value   text,
    verification_record_reason  text,
    seq                         bigint GENERATED ALWAYS AS IDENTITY,
    created_at                  timestamptz NOT NULL DEFAULT herald_now(),
    updated_at                  timestamptz NOT NULL DEFAULT herald_now()
);
CREATE UNIQUE INDEX domains_name ON domains (lower(name));
CREATE INDEX domains_page ON domains (tenant_id, created_at DESC, seq DESC);
CREATE UNIQUE INDEX domains_one_primary ON domains (tenant_id) WHERE "primary";

CREATE TABLE roles (
    id           text PRIMARY KEY,
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL,
    description  text,
    permissions  text[] NOT NULL DEFAULT '{}',
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    created_at   timestamptz NOT NULL DEFAULT herald_now(),
    updated_at   timestamptz NOT NULL DEFAULT herald_now(),
    UNIQUE (tenant_id, name)
);
CREATE INDEX roles_page ON roles (tenant_id, created_at DESC, seq DESC);

CREATE TABLE users (
    id                text PRIMARY KEY,
    tenant_id         text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name              text,
    username          text,
    image_uri         text,
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'suspended')),
    role_id           text REFERENCES roles (id) ON DELETE SET NULL,
    primary_email_id  text,
    primary_phone_id  text,
    password_hash     text,
    public_meta       jsonb,
    private_meta      jsonb,
    last_sign_in_at   timestamptz,
    last_active_at    timestamptz,
    seq               bigint GENERATED ALWAYS AS IDENTITY,
    created_at        timestamptz NOT NULL DEFAULT herald_now(),
    updated_at        timestamptz NOT NULL DEFAULT herald_now()
);
CREATE INDEX users_page ON users (tenant_id, created_at DESC, seq DESC);
CREATE UNIQUE INDEX users_username ON users (tenant_id, lower(username)) WHERE username IS NOT NULL;
CREATE INDEX users_role ON users (role_id);

CREATE TABLE email_addresses (
    id           text PRIMARY KEY,
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id      text REFERENCES users (id) ON DELETE CASCADE,
    email        text NOT NULL,
    verified_at  timestamptz,
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    created_at   timestamptz NOT NULL DEFAULT herald_now(),
    updated_at   timestamptz NOT NULL DEFAULT herald_now()
);
CREATE UNIQUE INDEX email_addresses_email ON email_addresses (tenant_id, lower(email));
CREATE INDEX email_addresses_user ON email_addresses (user_id);
CREATE INDEX email_addresses_page ON email_addresses (tenant_id, created_at DESC, seq DESC);

CREATE TABLE phone_numbers (
    id           text PRIMARY KEY,
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id      text REFERENCES users (id) ON DELETE CASCADE,
    phone        text NOT NULL,
    verified_at  timestamptz,
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    created_at   timestamptz NOT NULL DEFAULT herald_now(),
    updated_at   timestamptz NOT NULL DEFAULT herald_now()
);
CREATE UNIQUE INDEX phone_numbers_phone ON phone_numbers (tenant_id, phone);
CREATE INDEX phone_numbers_user ON phone_numbers (user_id);
CREATE INDEX phone_numbers_page ON phone_numbers (tenant_id, created_at DESC, seq DESC);

ALTER TABLE users
    ADD FOREIGN KEY (primary_email_id) REFERENCES email_addresses (id) ON DELETE SET NULL,
    ADD FOREIGN KEY (primary_phone_id) REFERENCES phone_numbers (id) ON DELETE SET NULL;
CREATE INDEX users_primary_email ON users (primary_email_id);
CREATE INDEX users_primary_phone ON users (primary_phone_id);

-- One-time codes for email and phone verification: stored hashed, short-lived,
-- with a try counter.
CREATE TABLE verification_codes (
    id                text PRIMARY KEY,
    tenant_id         text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email_address_id  text REFERENCES email_addresses (id) ON DELETE CASCADE,
    phone_number_id   text REFERENCES phone_numbers (id) ON DELETE CASCADE,
    code_hash         text NOT NULL,
    attempts          int NOT NULL DEFAULT 0,
    expires_at        timestamptz NOT NULL,
    consumed_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT herald_now(),
    CHECK ((email_address_id IS NULL) <> (phone_number_id IS NULL))
);
CREATE INDEX verification_codes_email ON verification_codes (email_address_id);
CREATE INDEX verification_codes_phone ON verification_codes (phone_number_id);
CREATE INDEX verification_codes_tenant ON verification_codes (tenant_id);

CREATE TABLE organizations (
    id           text PRIMARY KEY,
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    creator_id   text REFERENCES users (id) ON DELETE SET NULL,
    slug         text NOT NULL,
    name         text NOT NULL,
    image_uri    text,
    public_meta  jsonb,
    private_meta jsonb,
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    created_at   timestamptz NOT NULL DEFAULT herald_now(),
    updated_at   timestamptz NOT NULL DEFAULT herald_now(),
    UNIQUE (tenant_id, slug)
);
CREATE INDEX organizations_page ON organizations (tenant_id, created_at DESC, seq DESC);
CREATE INDEX organizations_creator ON organizations (creator_id);

CREATE TABLE organization_memberships (
    id               text PRIMARY KEY,
    tenant_id        text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id          text REFERENCES roles (id) ON DELETE SET NULL,
    public_meta      jsonb,
    private_meta     jsonb,
    seq              bigint GENERATED ALWAYS AS IDENTITY,
    created_at       timestamptz NOT NULL DEFAULT herald_now(),
    updated_at       timestamptz NOT NULL DEFAULT herald_now(),
    UNIQUE (organization_id, user_id)
);
CREATE INDEX organization_memberships_tenant ON organization_memberships (tenant_id);
CREATE INDEX organization_memberships_page ON organization_memberships (organization_id, created_at DESC, seq DESC);
CREATE INDEX organization_memberships_user ON organization_memberships (user_id);
CREATE INDEX organization_memberships_role ON organization_memberships (role_id);

CREATE TABLE organization_invitations (
    id               text PRIMARY KEY,
    tenant_id        text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email            text NOT NULL,
    role_id          text REFERENCES roles (id) ON DELETE SET NULL,
    user_id          text REFERENCES users (id) ON DELETE SET NULL,
    inviter_id       text REFERENCES users (id) ON DELETE SET NULL,
    accepted_at      timestamptz,
    declined_at      timestamptz,
    public_meta      jsonb,
    private_meta     jsonb,
    seq              bigint GENERATED ALWAYS AS IDENTITY,
    created_at       timestamptz NOT NULL DEFAULT herald_now(),
    updated_at       timestamptz NOT NULL DEFAULT herald_now()
);
CREATE INDEX organization_invitations_tenant ON organization_invitations (tenant_id);
CREATE INDEX organization_invitations_page ON organization_invitations (organization_id, created_at DESC, seq DESC);
CREATE INDEX organization_invitations_role ON organization_invitations (role_id);
CREATE INDEX organization_invitations_user ON organization_invitations (user_id);
CREATE INDEX organization_invitations_inviter ON organization_invitations (inviter_id);

CREATE TABLE social_providers (
    id                      text PRIMARY KEY,
    tenant_id               text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    provider_key            text NOT NULL CHECK (provider_key IN ('google', 'github', 'gitlab', 'apple', 'facebook')),
    enabled                 boolean NOT NULL DEFAULT false,
    use_custom_credentials  boolean,
    client_id               text,
    client_secret_enc       text,
    redirect_uri            text,
    additional_scopes       jsonb,
    seq                     bigint GENERATED ALWAYS AS IDENTITY,
    created_at              timestamptz NOT NULL DEFAULT herald_now(),
    updated_at              timestamptz NOT NULL DEFAULT herald_now(),
    UNIQUE (tenant_id, provider_key)
);

CREATE TABLE sign_in_attempts (
    id                 text PRIMARY KEY,
    tenant_id          text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id            text REFERENCES users (id) ON DELETE SET NULL,
    ip_address         text,
    user_agent         text,
    identifier         text,
    status             text,
    strategy           text,
    oauth_provider_id  text REFERENCES social_providers (id) ON DELETE SET NULL,
    seq                bigint GENERATED ALWAYS AS IDENTITY,
    created_at         timestamptz NOT NULL DEFAULT herald_now(),
    updated_at         timestamptz NOT NULL DEFAULT herald_now()
);
CREATE INDEX sign_in_attempts_page ON sign_in_attempts (tenant_id, created_at DESC, seq DESC);
CREATE INDEX sign_in_attempts_user ON sign_in_attempts (user_id);
CREATE INDEX sign_in_attempts_provider ON sign_in_attempts (oauth_provider_id);

CREATE TABLE sign_up_attempts (
    id          text PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     text REFERENCES users (id) ON DELETE SET NULL,
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    created_at  timestamptz NOT NULL DEFAULT herald_now(),
    updated_at  timestamptz NOT NULL DEFAULT herald_now()
);
CREATE INDEX sign_up_attempts_page ON sign_up_attempts (tenant_id, created_at DESC, seq DESC);
CREATE INDEX sign_up_attempts_user ON sign_up_attempts (user_id);

CREATE TABLE sessions (
    id                  text PRIMARY KEY,
    tenant_id           text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id             text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    browser             text,
    device              text,
    engine              text,
    os                  text,
    cpu                 text,
    ua                  text,
    ip                  text,
    sign_in_attempt_id  text REFERENCES sign_in_attempts (id) ON DELETE SET NULL,
    sign_up_attempt_id  text REFERENCES sign_up_attempts (id) ON DELETE SET NULL,
    expires_at          timestamptz NOT NULL,
    seq                 bigint GENERATED ALWAYS AS IDENTITY,
    created_at          timestamptz NOT NULL DEFAULT herald_now(),
    updated_at          timestamptz NOT NULL DEFAULT herald_now()
);
CREATE INDEX sessions_page ON sessions (tenant_id, created_at DESC, seq DESC);
CREATE INDEX sessions_user ON sessions (user_id, created_at DESC, seq DESC);
CREATE INDEX sessions_sign_in ON sessions (sign_in_attempt_id);
CREATE INDEX sessions_sign_up ON sessions (sign_up_attempt_id);

CREATE TABLE jwk_certificates (
    id                text PRIMARY KEY,
    tenant_id         text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    public_jwk        text NOT NULL,
    private_key_enc   text NOT NULL,
    seq               bigint GENERATED ALWAYS AS IDENTITY,
    created_at        timestamptz NOT NULL DEFAULT herald_now(),
    updated_at        timestamptz NOT NULL DEFAULT herald_now()
);
CREATE INDEX jwk_certificates_tenant ON jwk_certificates (tenant_id, created_at DESC, seq DESC);

CREATE TABLE transformations (
    id                   text PRIMARY KEY,
    tenant_id            text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name                 text NOT NULL,
    description          text,
    output_format        text NOT NULL,
    output_quality       double precision NOT NULL,
    output_compression   double precision NOT NULL,
    output_width         double precision NOT NULL,
    output_height        double precision NOT NULL,
    output_resize_mode   text NOT NULL,
    steps                jsonb NOT NULL DEFAULT '[]',
    seq                  bigint GENERATED ALWAYS AS IDENTITY,
    created_at           timestamptz NOT NULL DEFAULT herald_now(),
    updated_at           timestamptz NOT NULL DEFAULT herald_now(),
    UNIQUE (tenant_id, name)
);
CREATE INDEX transformations_page ON transformations (tenant_id, created_at DESC, seq DESC);

CREATE TABLE uploads (
    id                 text PRIMARY KEY,
    tenant_id          text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    path               text,
    access             text NOT NULL CHECK (access IN ('public', 'private')),
    original_filename  text,
    mime               text,
    size               bigint CHECK (size >= 0),
    meta               jsonb,
    upload_token_digest text,
    finished_at        timestamptz,
    deleted_at         timestamptz,
    seq                bigint GENERATED ALWAYS AS IDENTITY,
    created_at         timestamptz NOT NULL DEFAULT herald_now(),
    updated_at         timestamptz NOT NULL DEFAULT herald_now()
);
CREATE INDEX uploads_page ON uploads (tenant_id, created_at DESC, seq DESC);

CREATE TABLE files (
    id                 text PRIMARY KEY,
    tenant_id          text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    upload_id          text REFERENCES uploads (id) ON DELETE SET NULL,
    original_filename  text,
    path               text NOT NULL,
    description        text,
    mime               text,
    size               bigint CHECK (size >= 0),
    width              int,
    height             int,
    duration           int,
    transformation_id  text REFERENCES transformations (id) ON DELETE SET NULL,
    meta               jsonb,
    deleted_at         timestamptz,
    seq                bigint GENERATED ALWAYS AS IDENTITY,
    created_at         timestamptz NOT NULL DEFAULT herald_now(),
    updated_at         timestamptz NOT NULL DEFAULT herald_now()
);
CREATE INDEX files_page ON files (tenant_id, created_at DESC, seq DESC);
CREATE INDEX files_upload ON files (upload_id);
CREATE INDEX files_transformation ON files (transformation_id);

CREATE TABLE channels (
    id                     text PRIMARY KEY,
    tenant_id              text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name                   text NOT NULL,
    key                    text NOT NULL,
    description            text,
    type                   text NOT NULL CHECK (type IN ('email', 'sms', 'push', 'webhook', 'inapp', 'chat')),
    provider               text NOT NULL,
    enabled                boolean NOT NULL DEFAULT true,
    provider_settings      jsonb NOT NULL DEFAULT '{}',
    provider_secrets_enc   text,
    seq                    bigint GENERATED ALWAYS AS IDENTITY,
    created_at             timestamptz NOT NULL DEFAULT herald_now(),
    updated_at             timestamptz NOT NULL DEFAULT herald_now(),
    UNIQUE (tenant_id, key)
);
CREATE INDEX channels_page ON channels (tenant_id, created_at DESC, seq DESC);

CREATE TABLE notification_templates (
    id          text PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL,
    type        text NOT NULL CHECK (type IN ('email', 'sms', 'push', 'webhook', 'inapp', 'chat')),
    subject     text,
    body        jsonb NOT NULL DEFAULT '{}',
    content     jsonb,
    version     int NOT NULL DEFAULT 1,
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    created_at  timestamptz NOT NULL DEFAULT herald_now(),
    updated_at  timestamptz NOT NULL DEFAULT herald_now(),
    UNIQUE (tenant_id, type, name)
);
CREATE INDEX notification_templates_page ON notification_templates (tenant_id, created_at DESC, seq DESC);

CREATE TABLE notification_template_versions (
    id           text PRIMARY KEY,
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    template_id  text NOT NULL REFERENCES notification_templates (id) ON DELETE CASCADE,
    version      int NOT NULL,
    subject      text,
    body         jsonb NOT NULL,
    content      jsonb,
    created_at   timestamptz NOT NULL DEFAULT herald_now(),
    UNIQUE (template_id, version)
);
CREATE INDEX notification_template_versions_tenant ON notification_template_versions (tenant_id);

-- The AuthSettings of a tenant: flags and URIs as a document, the references
-- to channels and templates as real foreign keys.
CREATE TABLE tenant_auth_settings (
    id                                        text PRIMARY KEY,
    tenant_id                                 text NOT NULL UNIQUE REFERENCES tenants (id) ON DELETE CASCADE,
    settings                                  jsonb NOT NULL DEFAULT '{}',
    email_channel_id                          text REFERENCES channels (id) ON DELETE SET NULL,
    sms_channel_id                            text REFERENCES channels (id) ON DELETE SET NULL,
    code_verification_email_template_id       text REFERENCES notification_templates (id) ON DELETE SET NULL,
    code_verification_sms_template_id         text REFERENCES notification_templates (id) ON DELETE SET NULL,
    magic_link_email_template_id              text REFERENCES notification_templates (id) ON DELETE SET NULL,
    magic_link_sms_template_id                text REFERENCES notification_templates (id) ON DELETE SET NULL,
    welcome_email_template_id                 text REFERENCES notification_templates (id) ON DELETE SET NULL,
    welcome_sms_template_id                   text REFERENCES notification_templates (id) ON DELETE SET NULL,
    created_at                                timestamptz NOT NULL DEFAULT herald_now(),
    updated_at                                timestamptz NOT NULL DEFAULT herald_now()
);
CREATE INDEX tenant_auth_settings_email_channel ON tenant_auth_settings (email_channel_id);
CREATE INDEX tenant_auth_settings_sms_channel ON tenant_auth_settings (sms_channel_id);
CREATE INDEX tenant_auth_settings_t1 ON tenant_auth_settings (code_verification_email_template_id);
CREATE INDEX tenant_auth_settings_t2 ON tenant_auth_settings (code_verification_sms_template_id);
CREATE INDEX tenant_auth_settings_t3 ON tenant_auth_settings (magic_link_email_template_id);
CREATE INDEX tenant_auth_settings_t4 ON tenant_auth_settings (magic_link_sms_template_id);
CREATE INDEX tenant_auth_settings_t5 ON tenant_auth_settings (welcome_email_template_id);
CREATE INDEX tenant_auth_settings_t6 ON tenant_auth_settings (welcome_sms_template_id);

-- The notifications table is the delivery queue. The hot part (queued and
-- sending rows) is reached only through partial indexes, so finished rows can
-- pile up for logs and stats without slowing claims.
CREATE TABLE notifications (
    id                   text PRIMARY KEY,
    tenant_id            text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    template_id          text REFERENCES notification_templates (id) ON DELETE SET NULL,
    template_name        text,
    channel_id           text REFERENCES channels (id) ON DELETE SET NULL,
    type                 text NOT NULL CHECK (type IN ('email', 'sms', 'push', 'webhook', 'inapp', 'chat')),
    "to"                 jsonb NOT NULL DEFAULT '[]',
    locale               text NOT NULL DEFAULT 'en',
    variables            jsonb NOT NULL DEFAULT '{}',
    rendered             jsonb,
    status               text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    priority             smallint NOT NULL DEFAULT 1,
    attempts             int NOT NULL DEFAULT 0,
    max_attempts         int NOT NULL DEFAULT 8,
    last_error           text,
    scheduled_at         timestamptz,
    run_at               timestamptz NOT NULL DEFAULT herald_now(),
    locked_until         timestamptz,
    locked_by            text,
    sent_at              timestamptz,
    read_at              timestamptz,
    provider_message_id  text,
    test                 boolean NOT NULL DEFAULT false,
    seq                  bigint GENERATED ALWAYS AS IDENTITY,
    created_at           timestamptz NOT NULL DEFAULT herald_now(),
    updated_at           timestamptz NOT NULL DEFAULT herald_now()
);
CREATE INDEX notifications_ready ON notifications (priority, run_at) WHERE status = 'queued';
CREATE INDEX notifications_leased ON notifications (locked_until) WHERE status = 'sending';
CREATE INDEX notifications_page ON notifications (tenant_id, type, created_at DESC, seq DESC);
CREATE INDEX notifications_stats ON notifications (tenant_id, created_at);
CREATE INDEX notifications_template ON notifications (template_id);
CREATE INDEX notifications_channel ON notifications (channel_id);

CREATE TABLE notification_attempts (
    id                 text PRIMARY KEY,
    tenant_id          text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    notification_id    text NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    attempt            int NOT NULL,
    started_at         timestamptz NOT NULL,
    duration_ms        int NOT NULL,
    outcome            text NOT NULL CHECK (outcome IN ('sent', 'retry', 'failed')),
    provider_response  text,
    error              text,
    created_at         timestamptz NOT NULL DEFAULT herald_now()
);
CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id, attempt);
CREATE INDEX notification_attempts_tenant ON notification_attempts (tenant_id);

CREATE TABLE idempotency_keys (
    tenant_id        text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key              text NOT NULL,
    request_digest   text NOT NULL,
    notification_id  text REFERENCES notifications (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT herald_now(),
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
CREATE INDEX idempotency_keys_notification ON idempotency_keys (notification_id);
