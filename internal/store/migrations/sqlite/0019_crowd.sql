-- The crowd. A workspace may open a public join page (off by default),
-- with screening questions and "auto-accept on passing training".
-- Applicants are people (agents rows, not certified) with an application:
-- pending, accepted or rejected. quality_scores keeps each person's
-- computed quality score over time with its parts (JSON) and tier, so
-- they see its history and a score below the floor for a period can
-- suspend their certification (suspended_at on the agent).
CREATE TABLE join_settings (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces (id),
    open         BOOLEAN NOT NULL DEFAULT FALSE,
    questions    TEXT    NOT NULL DEFAULT '[]',
    auto_accept  BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE applications (
    agent_id     INTEGER PRIMARY KEY REFERENCES agents (id),
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    motivation   TEXT    NOT NULL DEFAULT '',
    answers      TEXT    NOT NULL DEFAULT '[]',
    status       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    decided_at   INTEGER,
    decided_by   INTEGER REFERENCES agents (id)
);
CREATE INDEX applications_workspace ON applications (workspace_id, status, created_at);

CREATE TABLE quality_scores (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    agent_id     INTEGER NOT NULL REFERENCES agents (id),
    score        REAL    NOT NULL,
    parts        TEXT    NOT NULL,
    tier         TEXT    NOT NULL,
    computed_at  INTEGER NOT NULL
);
CREATE INDEX quality_scores_agent ON quality_scores (agent_id, computed_at);

ALTER TABLE agents ADD COLUMN suspended_reason TEXT NOT NULL DEFAULT '';
