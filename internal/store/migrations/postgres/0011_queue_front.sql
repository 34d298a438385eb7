-- A conversation handed back to the queue (its agent went offline) goes to
-- its front: front_boost (microseconds) is added to its priority while it
-- waits in the queue it was handed back to (front_queued_at = queued_at).
ALTER TABLE conversations ADD COLUMN front_boost BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN front_queued_at BIGINT;
