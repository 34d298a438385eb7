-- People: setting up a fresh server, inviting staff, deactivating them.
-- A deactivated person keeps their row (history, ratings and ledger refer
-- to it) but cannot sign in and receives no work. setup_tokens holds the
-- hash of the one-time link that creates the first workspace and admin.
-- invitations are one-time links to join a workspace's staff (only their
-- hash is stored). login_failures counts failed sign-ins per account and
-- per address so that guessing is throttled on every node alike.
ALTER TABLE agents ADD COLUMN deactivated_at INTEGER;

CREATE TABLE setup_tokens (
    token_hash TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE invitations (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    token_hash   TEXT    NOT NULL UNIQUE,
    email        TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    skills       TEXT    NOT NULL DEFAULT '[]',
    languages    TEXT    NOT NULL DEFAULT '[]',
    invited_by   INTEGER REFERENCES agents (id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    accepted_at  INTEGER,
    agent_id     INTEGER REFERENCES agents (id)
);
CREATE INDEX invitations_workspace ON invitations (workspace_id, id);

CREATE TABLE login_failures (
    key TEXT    NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);

-- Invitations are mailed through the mail outbox, which held only
-- follow-up mail of conversations: a mail need not belong to one now.
-- (SQLite cannot drop a NOT NULL: the table is rebuilt, as it was.)
CREATE TABLE mail_outbox_new (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id),
    conversation_id INTEGER REFERENCES conversations (id),
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
INSERT INTO mail_outbox_new (id, workspace_id, conversation_id, recipient, subject, body, status, attempts, next_attempt_at,
    claimed_until, last_error, created_at, sent_at)
    SELECT id, workspace_id, conversation_id, recipient, subject, body, status, attempts, next_attempt_at,
    claimed_until, last_error, created_at, sent_at FROM mail_outbox;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_new RENAME TO mail_outbox;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_conversation ON mail_outbox (conversation_id, id);
