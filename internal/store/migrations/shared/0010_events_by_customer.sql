-- A customer's stream that resumes from further back than its node keeps
-- in memory reads that customer's events after its cursor
-- (workspace_id = ? AND seq > ? AND customer_id = ? AND staff_only = ?).
-- On events_workspace_seq alone that scans every event of the workspace
-- since the cursor; this index goes straight to the customer's own.
CREATE INDEX events_customer_seq ON events (customer_id, seq) WHERE customer_id IS NOT NULL;
