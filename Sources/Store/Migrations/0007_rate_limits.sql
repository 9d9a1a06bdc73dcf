-- Rate limits on what sends codes and invitations (Store+RateLimits.swift).
--
-- One row per window: a tenant's address in one scope (subject is a keyed
-- digest of the address, never the address), or the tenant as a whole
-- (subject ''). Kept in PostgreSQL so that every API replica counts against
-- the same windows, and updated in the transaction that queues the message:
-- a refused or rolled-back send counts nothing.
CREATE TABLE rate_limits (
    tenant_id     text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scope         text NOT NULL,
    subject       text NOT NULL,
    -- The last message let through: the next one waits the interval after it.
    last_at       timestamptz NOT NULL,
    -- The hour window: it starts with the first message after the last one ended.
    window_start  timestamptz NOT NULL,
    count         int NOT NULL,
    PRIMARY KEY (tenant_id, scope, subject)
);
