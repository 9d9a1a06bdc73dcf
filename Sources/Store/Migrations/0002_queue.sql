-- The delivery queue (Store+Queue.swift).
--
-- The worker claims each priority level with its own range scan of
-- notifications_ready (priority = p AND run_at <= now()), so rows scheduled
-- for later never slow a claim. A row outside the levels it reads (0
-- interactive, 1 normal, 2 bulk) would never be sent: refuse it instead.
ALTER TABLE notifications ADD CONSTRAINT notifications_priority_level CHECK (priority BETWEEN 0 AND 2);
