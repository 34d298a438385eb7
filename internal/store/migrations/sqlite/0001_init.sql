-- Times are INTEGER microseconds since the Unix epoch (UTC), the same in every dialect.
CREATE TABLE workspaces (
    id               INTEGER PRIMARY KEY,
    slug             TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL,
    identity_secret  TEXT    NOT NULL DEFAULT '',
    offer_timeout_ms INTEGER NOT NULL DEFAULT 30000,
    assistant_name   TEXT    NOT NULL DEFAULT 'Assistant',
    created_at       INTEGER NOT NULL
);

CREATE TABLE customers (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    external_id  TEXT,
    name         TEXT    NOT NULL DEFAULT '',
    email        TEXT    NOT NULL DEFAULT '',
    locale       TEXT    NOT NULL DEFAULT '',
    tier         TEXT    NOT NULL DEFAULT 'standard',
    verified     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, external_id)
);

CREATE TABLE agents (
    id                INTEGER PRIMARY KEY,
    workspace_id      INTEGER NOT NULL REFERENCES workspaces (id),
    email             TEXT    NOT NULL UNIQUE,
    name              TEXT    NOT NULL,
    role              TEXT    NOT NULL,
    password_hash     TEXT    NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'offline',
    capacity          INTEGER NOT NULL DEFAULT 3,
    status_changed_at INTEGER NOT NULL,
    last_offered_at   INTEGER,
    created_at        INTEGER NOT NULL
);
CREATE INDEX agents_workspace_status ON agents (workspace_id, status);

CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    kind         TEXT    NOT NULL,
    subject_id   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);

CREATE TABLE conversations (
    id             INTEGER PRIMARY KEY,
    workspace_id   INTEGER NOT NULL REFERENCES workspaces (id),
    customer_id    INTEGER NOT NULL REFERENCES customers (id),
    client_id      TEXT,
    status         TEXT    NOT NULL,
    assignee_id    INTEGER REFERENCES agents (id),
    handoff_reason TEXT    NOT NULL DEFAULT '',
    had_human      BOOLEAN NOT NULL DEFAULT FALSE,
    last_seq       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    queued_at      INTEGER,
    assigned_at    INTEGER,
    resolved_at    INTEGER,
    UNIQUE (customer_id, client_id)
);
CREATE INDEX conversations_queue ON conversations (workspace_id, status, queued_at);
CREATE INDEX conversations_assignee ON conversations (assignee_id, status);
CREATE INDEX conversations_customer ON conversations (customer_id, id);

CREATE TABLE messages (
    id                  INTEGER PRIMARY KEY,
    workspace_id        INTEGER NOT NULL REFERENCES workspaces (id),
    conversation_id     INTEGER NOT NULL REFERENCES conversations (id),
    seq                 INTEGER NOT NULL,
    author_kind         TEXT    NOT NULL,
    author_id           INTEGER,
    author_name         TEXT    NOT NULL DEFAULT '',
    body                TEXT    NOT NULL,
    internal            BOOLEAN NOT NULL DEFAULT FALSE,
    client_id           TEXT,
    citation_article_id INTEGER,
    citation_title      TEXT    NOT NULL DEFAULT '',
    citation_url        TEXT    NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, author_kind, author_id, client_id)
);

CREATE TABLE offers (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id),
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    agent_id        INTEGER NOT NULL REFERENCES agents (id),
    status          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    decided_at      INTEGER
);
-- At most one pending offer per conversation, enforced by the database itself.
CREATE UNIQUE INDEX offers_one_pending ON offers (conversation_id) WHERE status = 'pending';
CREATE INDEX offers_agent_pending ON offers (agent_id) WHERE status = 'pending';
CREATE INDEX offers_deadline ON offers (expires_at) WHERE status = 'pending';

CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id),
    type            TEXT    NOT NULL,
    conversation_id INTEGER,
    customer_id     INTEGER,
    agent_id        INTEGER,
    staff_only      BOOLEAN NOT NULL DEFAULT FALSE,
    data            TEXT    NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX events_workspace_seq ON events (workspace_id, seq);

CREATE TABLE articles (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    language     TEXT    NOT NULL DEFAULT 'en',
    published    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, language, title)
);
