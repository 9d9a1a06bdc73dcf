-- Failover (issue 14): a row whose message may already be with a provider
-- (the connection was lost after SMTP's final "." or after an HTTP request
-- was sent) stays on that channel for every later attempt; sending it
-- through a fallback could deliver it twice.
ALTER TABLE notification_queue ADD COLUMN channel_pinned boolean NOT NULL DEFAULT false;
