-- The agent workspace. Canned replies: a workspace's saved answers, found in
-- the console's composer by their shortcut ("/refund"); admins write them,
-- all staff read them. Conversation tags: the staff's labels on a
-- conversation (lower case, one row per tag).
CREATE TABLE canned_replies (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    shortcut     TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    created_by   INTEGER REFERENCES agents (id),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, shortcut)
);

CREATE TABLE conversation_tags (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id),
    tag             TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX conversation_tags_workspace_tag ON conversation_tags (workspace_id, tag);
