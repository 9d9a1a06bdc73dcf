-- Issue 15, bulk sends: the unkeyed messages of one `POST /notifications/send/bulk`
-- are accepted as ONE row here (one insert of one jsonb array) instead of a
-- notification and a queue row each; the worker fans a batch out into those
-- rows from a task of its own (Store+Batches.swift), woken by NOTIFY
-- `herald_queue` 'batch'. A wide, indexed log row per message is what a bulk
-- send cost; accepting the batch as one unit leaves that cost to the worker.
--
-- Message i's notification id is the batch id (`c` and 21 random base-36
-- characters) followed by i in 3 base-36 digits, so an id handed out leads to
-- its batch without a scan (reads of a not yet fanned-out id fan it out).
--
-- No foreign keys to templates or channels: a template or channel deleted
-- after acceptance must not make the fan-out fail forever; the fan-out joins
-- them and writes NULL, as the notification's ON DELETE SET NULL would have.
-- A deleted tenant takes its pending batches with it.
CREATE TABLE notification_batches (
    id             text PRIMARY KEY,
    tenant_id      text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- What every message of the batch shares, as its notification row holds it.
    template_id    text,
    template_name  text,
    channel_id     text,
    type           text NOT NULL CHECK (type IN ('email', 'sms', 'push', 'webhook', 'inapp', 'chat')),
    priority       smallint NOT NULL CHECK (priority BETWEEN 0 AND 2),
    test           boolean NOT NULL DEFAULT false,
    max_attempts   int NOT NULL,
    -- Each message's own fields: [{id, to, locale, variables, rendered, scheduledAt}].
    -- json, not jsonb: it is read once, by the fan-out, and jsonb's conversion
    -- (with TOAST's compression, below) cost more than the rest of the insert.
    messages       json NOT NULL CHECK (json_typeof(messages) = 'array'),
    -- Also the notifications' created_at: a message is logged as of its acceptance.
    created_at     timestamptz NOT NULL DEFAULT herald_now()
);
-- Kept out of line uncompressed: the row lives for milliseconds, and pglz on
-- a 200 kB array halved the rate of accepted batches (measured with pgbench:
-- 1,000-message batches at 80/s as compressed jsonb, 240/s as external json).
ALTER TABLE notification_batches ALTER COLUMN messages SET STORAGE EXTERNAL;
-- The worker takes the oldest batches first. No index for it: the table holds
-- only batches not yet fanned out (a handful, each a small heap row with its
-- messages in TOAST), so a scan is cheaper than an index written per batch.
-- The tenant's index serves the cascade of a tenant's deletion.
CREATE INDEX notification_batches_tenant ON notification_batches (tenant_id);
