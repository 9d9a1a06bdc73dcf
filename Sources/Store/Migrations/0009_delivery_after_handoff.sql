-- What happens to a notification after a provider takes it (issue 14):
-- failover between a channel and its fallbacks, a circuit breaker per
-- channel, the providers' delivery events, and the tenant's suppression list.

-- Addresses a tenant no longer sends to: hard bounces and complaints put
-- them here, operators add and remove them through the API. `address` is
-- normalised (e-mail lower-cased, phone numbers as sent), so a claim compares
-- it with the notification's `to` by equality through the primary key.
CREATE TABLE notification_suppressions (
    id               text NOT NULL UNIQUE,
    tenant_id        text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    address          text NOT NULL,
    reason           text NOT NULL CHECK (reason IN ('hard_bounce', 'complaint', 'manual')),
    -- What caused it: the provider's detail for a bounce, the operator's note.
    detail           text,
    -- The notification whose event caused it, when one did.
    notification_id  text,
    created_at       timestamptz NOT NULL DEFAULT herald_now(),
    PRIMARY KEY (tenant_id, address)
);
CREATE INDEX notification_suppressions_page ON notification_suppressions (tenant_id, created_at DESC, id);

-- Failover: the place in the channel's chain (the channel, then its
-- `providerSettings.fallbackChannelIds` in order) the next attempt uses.
ALTER TABLE notification_queue ADD COLUMN channel_step smallint NOT NULL DEFAULT 0;

-- Each attempt says which channel and provider it went through.
ALTER TABLE notification_attempts ADD COLUMN channel_id text, ADD COLUMN provider text;

-- A channel's circuit breaker as the workers last reported it, for the API
-- and /metrics. Each worker keeps its own breaker in memory (it decides from
-- its own sends); a row changes only when a breaker changes state.
CREATE TABLE channel_circuits (
    channel_id   text PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    state        text NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
    failures     int NOT NULL DEFAULT 0,
    last_error   text,
    opened_at    timestamptz,
    retry_at     timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT herald_now()
);

-- What the provider later said about a sent message. Not an indexed column
-- of `notifications`, so the worker's one update stays HOT.
ALTER TABLE notifications
    ADD COLUMN delivery_status text CHECK (delivery_status IN
        ('delivered', 'bounced', 'soft_bounced', 'complained', 'opened', 'clicked', 'suppressed')),
    ADD COLUMN delivery_detail text,
    ADD COLUMN delivery_updated_at timestamptz;

-- Every delivery event received, once: (channel_id, event_key) is the
-- provider's own event id, or a digest of the event when it has none.
CREATE TABLE notification_events (
    id               text PRIMARY KEY,
    tenant_id        text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    channel_id       text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    notification_id  text REFERENCES notifications (id) ON DELETE CASCADE,
    provider         text NOT NULL,
    event_key        text NOT NULL,
    kind             text NOT NULL CHECK (kind IN
        ('delivered', 'bounced', 'soft_bounced', 'complained', 'opened', 'clicked', 'deferred', 'dropped', 'other')),
    recipient        text,
    detail           text,
    occurred_at      timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT herald_now(),
    UNIQUE (channel_id, event_key)
);
CREATE INDEX notification_events_notification ON notification_events (notification_id, occurred_at);
CREATE INDEX notification_events_tenant ON notification_events (tenant_id, created_at DESC, id);
