-- PostgreSQL port of sqlite/0005_assistant.sql (same name, same meaning): BIGSERIAL ids,
-- BIGINT microsecond times, DOUBLE PRECISION for REAL.
-- The assistant: its settings per workspace, the actions it may call, what
-- it did on each turn, the handoff packets it built, and the conversations a
-- customer confirmed it resolved (containment).

-- Per-workspace assistant settings as JSON (see model.AssistantSettings; empty = defaults).
CREATE TABLE assistant_settings (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces (id),
    settings     TEXT    NOT NULL DEFAULT '',
    updated_at   BIGINT NOT NULL
);

-- Typed calls to the business's own API. parameters is a JSON array of
-- model.ActionParam; intents and examples say when the assistant uses it.
CREATE TABLE actions (
    id             BIGSERIAL PRIMARY KEY,
    workspace_id   BIGINT NOT NULL REFERENCES workspaces (id),
    name           TEXT    NOT NULL,
    description    TEXT    NOT NULL DEFAULT '',
    parameters     TEXT    NOT NULL DEFAULT '[]',
    endpoint       TEXT    NOT NULL,
    secret         TEXT    NOT NULL,
    intents        TEXT    NOT NULL DEFAULT '',
    examples       TEXT    NOT NULL DEFAULT '',
    use_in_handoff BOOLEAN NOT NULL DEFAULT FALSE,
    enabled        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

-- One row per assistant reply: what kind of turn it was and what it drew on.
CREATE TABLE assistant_turns (
    id              BIGSERIAL PRIMARY KEY,
    workspace_id    BIGINT NOT NULL REFERENCES workspaces (id),
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    message_id      BIGINT,
    kind            TEXT    NOT NULL,
    intent          TEXT    NOT NULL DEFAULT '',
    language        TEXT    NOT NULL DEFAULT '',
    confidence      DOUBLE PRECISION    NOT NULL DEFAULT 0,
    article_id      BIGINT,
    action          TEXT    NOT NULL DEFAULT '',
    reasons         TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL
);
CREATE INDEX assistant_turns_conversation ON assistant_turns (conversation_id, id);

-- A handoff packet (JSON, model.HandoffPacket) for every handover.
CREATE TABLE handoff_packets (
    id              BIGSERIAL PRIMARY KEY,
    workspace_id    BIGINT NOT NULL REFERENCES workspaces (id),
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    packet          TEXT    NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX handoff_packets_conversation ON handoff_packets (conversation_id, id);

-- Conversations the customer said the assistant resolved. resolved_at equals
-- the conversation's resolved_at while that resolution stands.
CREATE TABLE assistant_resolutions (
    conversation_id BIGINT PRIMARY KEY REFERENCES conversations (id),
    workspace_id    BIGINT NOT NULL REFERENCES workspaces (id),
    message_id      BIGINT,
    resolved_at     BIGINT NOT NULL
);
