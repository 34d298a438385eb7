-- PostgreSQL port of sqlite/0007_workspace_tools.sql (same name, same
-- meaning): BIGINT ids and microsecond times.
-- The agent workspace. Canned replies: a workspace's saved answers, found in
-- the console's composer by their shortcut ("/refund"); admins write them,
-- all staff read them. Conversation tags: the staff's labels on a
-- conversation (lower case, one row per tag).
CREATE TABLE canned_replies (
    id           BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    shortcut     TEXT   NOT NULL,
    title        TEXT   NOT NULL,
    body         TEXT   NOT NULL,
    created_by   BIGINT REFERENCES agents (id),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, shortcut)
);

CREATE TABLE conversation_tags (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    workspace_id    BIGINT NOT NULL REFERENCES workspaces (id),
    tag             TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX conversation_tags_workspace_tag ON conversation_tags (workspace_id, tag);
