-- Reports (internal/analytics): a workspace's settings for them, and the
-- index that reads a conversation's events in order.
CREATE TABLE report_settings (
    workspace_id          BIGINT  PRIMARY KEY REFERENCES workspaces (id),
    -- N of the repeat-contact rate: a return within N days is a repeat.
    repeat_days           INTEGER NOT NULL DEFAULT 7,
    -- Costs in minor units of the workspace's currency.
    assistant_cost        BIGINT  NOT NULL DEFAULT 0,
    person_cost_per_hour  BIGINT  NOT NULL DEFAULT 0,
    updated_at            BIGINT  NOT NULL
);
CREATE INDEX events_conversation ON events (conversation_id, seq);
