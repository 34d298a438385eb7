-- PostgreSQL port of sqlite/0001_init.sql (same file name, same meaning).
-- Times are BIGINT microseconds since the Unix epoch (UTC), the same in every dialect.
CREATE TABLE workspaces (
    id               BIGSERIAL PRIMARY KEY,
    slug             TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL,
    identity_secret  TEXT    NOT NULL DEFAULT '',
    offer_timeout_ms BIGINT  NOT NULL DEFAULT 30000,
    assistant_name   TEXT    NOT NULL DEFAULT 'Assistant',
    created_at       BIGINT  NOT NULL
);

CREATE TABLE customers (
    id           BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    external_id  TEXT,
    name         TEXT    NOT NULL DEFAULT '',
    email        TEXT    NOT NULL DEFAULT '',
    locale       TEXT    NOT NULL DEFAULT '',
    tier         TEXT    NOT NULL DEFAULT 'standard',
    verified     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   BIGINT  NOT NULL,
    UNIQUE (workspace_id, external_id)
);

CREATE TABLE agents (
    id                BIGSERIAL PRIMARY KEY,
    workspace_id      BIGINT  NOT NULL REFERENCES workspaces (id),
    email             TEXT    NOT NULL UNIQUE,
    name              TEXT    NOT NULL,
    role              TEXT    NOT NULL,
    password_hash     TEXT    NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'offline',
    capacity          INTEGER NOT NULL DEFAULT 3,
    status_changed_at BIGINT  NOT NULL,
    last_offered_at   BIGINT,
    created_at        BIGINT  NOT NULL
);
CREATE INDEX agents_workspace_status ON agents (workspace_id, status);

CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    kind         TEXT    NOT NULL,
    subject_id   BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL
);

CREATE TABLE conversations (
    id             BIGSERIAL PRIMARY KEY,
    workspace_id   BIGINT  NOT NULL REFERENCES workspaces (id),
    customer_id    BIGINT  NOT NULL REFERENCES customers (id),
    client_id      TEXT,
    status         TEXT    NOT NULL,
    assignee_id    BIGINT  REFERENCES agents (id),
    handoff_reason TEXT    NOT NULL DEFAULT '',
    had_human      BOOLEAN NOT NULL DEFAULT FALSE,
    last_seq       BIGINT  NOT NULL DEFAULT 0,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    queued_at      BIGINT,
    assigned_at    BIGINT,
    resolved_at    BIGINT,
    UNIQUE (customer_id, client_id)
);
CREATE INDEX conversations_queue ON conversations (workspace_id, status, queued_at);
CREATE INDEX conversations_assignee ON conversations (assignee_id, status);
CREATE INDEX conversations_customer ON conversations (customer_id, id);

CREATE TABLE messages (
    id                  BIGSERIAL PRIMARY KEY,
    workspace_id        BIGINT  NOT NULL REFERENCES workspaces (id),
    conversation_id     BIGINT  NOT NULL REFERENCES conversations (id),
    seq                 BIGINT  NOT NULL,
    author_kind         TEXT    NOT NULL,
    author_id           BIGINT,
    author_name         TEXT    NOT NULL DEFAULT '',
    body                TEXT    NOT NULL,
    internal            BOOLEAN NOT NULL DEFAULT FALSE,
    client_id           TEXT,
    citation_article_id BIGINT,
    citation_title      TEXT    NOT NULL DEFAULT '',
    citation_url        TEXT    NOT NULL DEFAULT '',
    created_at          BIGINT  NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, author_kind, author_id, client_id)
);

CREATE TABLE offers (
    id              BIGSERIAL PRIMARY KEY,
    workspace_id    BIGINT  NOT NULL REFERENCES workspaces (id),
    conversation_id BIGINT  NOT NULL REFERENCES conversations (id),
    agent_id        BIGINT  NOT NULL REFERENCES agents (id),
    status          TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    decided_at      BIGINT
);
-- At most one pending offer per conversation, enforced by the database itself.
CREATE UNIQUE INDEX offers_one_pending ON offers (conversation_id) WHERE status = 'pending';
CREATE INDEX offers_agent_pending ON offers (agent_id) WHERE status = 'pending';
CREATE INDEX offers_deadline ON offers (expires_at) WHERE status = 'pending';

-- seq is drawn from a sequence at insert time; appendEvent serialises the
-- appends of one workspace (an advisory lock held to commit) so that seqs
-- become visible in order. See store.postgresDialect.
CREATE TABLE events (
    seq             BIGSERIAL PRIMARY KEY,
    workspace_id    BIGINT  NOT NULL REFERENCES workspaces (id),
    type            TEXT    NOT NULL,
    conversation_id BIGINT,
    customer_id     BIGINT,
    agent_id        BIGINT,
    staff_only      BOOLEAN NOT NULL DEFAULT FALSE,
    data            TEXT    NOT NULL,
    at              BIGINT  NOT NULL
);
CREATE INDEX events_workspace_seq ON events (workspace_id, seq);

CREATE TABLE articles (
    id           BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    language     TEXT    NOT NULL DEFAULT 'en',
    published    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (workspace_id, language, title)
);
