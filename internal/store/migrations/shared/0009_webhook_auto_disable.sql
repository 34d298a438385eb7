-- An endpoint that failed every delivery for as long as deliveries are
-- retried (three days) is disabled by the sender; disabled_reason says why
-- and when, for the admins, and is cleared when they enable it again.
ALTER TABLE webhook_endpoints ADD COLUMN disabled_reason TEXT NOT NULL DEFAULT '';
