-- PostgreSQL port of sqlite/0006_admin.sql (same name, same meaning): BIGINT
-- ids and microsecond times.
-- The admin console. The web origins allowed to open widget sessions for a
-- workspace (none listed: any origin), and the customers' ratings of their
-- conversations (CSAT), one per conversation: a second rating replaces the
-- first. agent_id is the person who handled the conversation when it was
-- rated (NULL: the assistant alone). Indexes for the live overview, which
-- counts today's conversations and ratings.
CREATE TABLE widget_origins (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    origin       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, origin)
);

CREATE TABLE csat_ratings (
    conversation_id BIGINT PRIMARY KEY REFERENCES conversations (id),
    workspace_id    BIGINT NOT NULL REFERENCES workspaces (id),
    customer_id     BIGINT NOT NULL REFERENCES customers (id),
    agent_id        BIGINT REFERENCES agents (id),
    score           INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment         TEXT   NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX csat_ratings_workspace_updated ON csat_ratings (workspace_id, updated_at);

CREATE INDEX conversations_created ON conversations (workspace_id, created_at);
CREATE INDEX conversations_resolved ON conversations (workspace_id, resolved_at);
