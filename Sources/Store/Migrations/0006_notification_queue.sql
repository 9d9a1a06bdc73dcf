-- The delivery queue apart from the notification log (Store+Queue.swift).
--
-- The queue was the notifications table itself: every claim rewrote a wide
-- row with six indexes (no HOT update, since `status` sat in the partial
-- indexes' predicates) and every attempt row checked two foreign keys. Now:
--
--   notification_queue     one narrow row per notification waiting or being
--                          sent, deleted when it ends. Claims, leases,
--                          heartbeats, rescue and retries touch only it.
--   notifications          the log. Its status is 'queued' until the send
--                          ends ('sending' is read off the queue row's lease),
--                          and the one update that ends it changes no indexed
--                          column, so with room left on its page (fillfactor)
--                          it is a HOT update that writes no index entry.
--   notification_attempts  keyed by (notification_id, attempt), without
--                          foreign keys (no per-row checks on the hot path);
--                          a statement trigger deletes a notification's
--                          attempts with it, cascades from tenants included.
CREATE TABLE notification_queue (
    id            text PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
    priority      smallint NOT NULL CHECK (priority BETWEEN 0 AND 2),
    run_at        timestamptz NOT NULL,
    -- Claims so far: the number of the attempt being (or last) made.
    attempts      int NOT NULL DEFAULT 0,
    locked_by     text,
    locked_until  timestamptz,
    claimed_at    timestamptz
);
-- Each priority level is claimed with its own range scan of this index, so
-- rows scheduled for later never slow a claim. Leased rows are few and the
-- table holds only unfinished work, so the rescue scans it without an index
-- (one index fewer to write on every claim).
CREATE INDEX notification_queue_ready ON notification_queue (priority, run_at) WHERE locked_by IS NULL;

INSERT INTO notification_queue (id, priority, run_at, attempts, locked_by, locked_until, claimed_at)
SELECT id, priority, run_at, attempts, locked_by, locked_until, CASE WHEN status = 'sending' THEN updated_at END
FROM notifications WHERE status IN ('queued', 'sending');
-- The log counts finished attempts; the queue row holds the one in progress.
UPDATE notifications SET status = 'queued', attempts = greatest(attempts - 1, 0) WHERE status = 'sending';

DROP INDEX notifications_ready;
DROP INDEX notifications_leased;
ALTER TABLE notifications DROP COLUMN run_at, DROP COLUMN locked_by, DROP COLUMN locked_until;
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check,
    ADD CONSTRAINT notifications_status_check CHECK (status IN ('queued', 'sent', 'failed', 'cancelled'));
-- Half of each page is left for the row's one update (see above).
ALTER TABLE notifications SET (fillfactor = 50);

DELETE FROM notification_attempts a USING notification_attempts b
WHERE a.notification_id = b.notification_id AND a.attempt = b.attempt AND a.id > b.id;
ALTER TABLE notification_attempts DROP CONSTRAINT notification_attempts_notification_id_fkey,
    DROP CONSTRAINT notification_attempts_tenant_id_fkey, DROP COLUMN id;
DROP INDEX notification_attempts_notification;
DROP INDEX notification_attempts_tenant;
ALTER TABLE notification_attempts ADD PRIMARY KEY (notification_id, attempt);

CREATE FUNCTION herald_delete_notification_attempts() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM notification_attempts a USING deleted d WHERE a.notification_id = d.id;
    RETURN NULL;
END $$;
CREATE TRIGGER notifications_delete_attempts AFTER DELETE ON notifications
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION herald_delete_notification_attempts();
