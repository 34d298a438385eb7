-- A workspace's triage policy (JSON, see triage.Policy; empty = defaults),
-- and the intents each article answers (comma-separated intent names).
ALTER TABLE workspaces ADD COLUMN triage_policy TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN intents TEXT NOT NULL DEFAULT '';
