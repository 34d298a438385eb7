-- PostgreSQL port of sqlite/0015_people.sql (same name, same meaning):
-- BIGINT ids and microsecond times.
-- People: setting up a fresh server, inviting staff, deactivating them.
-- A deactivated person keeps their row (history, ratings and ledger refer
-- to it) but cannot sign in and receives no work. setup_tokens holds the
-- hash of the one-time link that creates the first workspace and admin.
-- invitations are one-time links to join a workspace's staff (only their
-- hash is stored). login_failures counts failed sign-ins per account and
-- per address so that guessing is throttled on every node alike.
ALTER TABLE agents ADD COLUMN deactivated_at BIGINT;

CREATE TABLE setup_tokens (
    token_hash TEXT    PRIMARY KEY,
    created_at BIGINT  NOT NULL,
    used_at    BIGINT
);

CREATE TABLE invitations (
    id           BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    token_hash   TEXT    NOT NULL UNIQUE,
    email        TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    skills       TEXT    NOT NULL DEFAULT '[]',
    languages    TEXT    NOT NULL DEFAULT '[]',
    invited_by   BIGINT  REFERENCES agents (id),
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    accepted_at  BIGINT,
    agent_id     BIGINT  REFERENCES agents (id)
);
CREATE INDEX invitations_workspace ON invitations (workspace_id, id);

CREATE TABLE login_failures (
    key TEXT    NOT NULL,
    at  BIGINT  NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);

-- Invitations are mailed through the mail outbox, which held only
-- follow-up mail of conversations: a mail need not belong to one now.
ALTER TABLE mail_outbox ALTER COLUMN conversation_id DROP NOT NULL;
