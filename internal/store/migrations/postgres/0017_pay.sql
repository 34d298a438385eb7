-- PostgreSQL port of sqlite/0017_pay.sql (same name, same meaning):
-- BIGINT ids, amounts and microsecond times.
-- Pay. A workspace's pay policy (JSON, see workforce.PayPolicy) and the
-- append-only ledger of what each person earned, in integer minor units of
-- the policy's currency. Entries are never edited: a correction is a new
-- entry (an adjustment, with its reason). source_key makes an entry that
-- an event earns unique ("resolve:<conversation>:<agent>:<kind>"), so a
-- retried or raced resolve cannot pay twice. Closed pay periods ("YYYY-MM")
-- are recorded with their total as closed.
CREATE TABLE pay_policies (
    workspace_id BIGINT  PRIMARY KEY REFERENCES workspaces (id),
    policy       TEXT    NOT NULL,
    updated_at   BIGINT  NOT NULL
);

CREATE TABLE ledger_entries (
    id              BIGSERIAL PRIMARY KEY,
    workspace_id    BIGINT  NOT NULL REFERENCES workspaces (id),
    agent_id        BIGINT  NOT NULL REFERENCES agents (id),
    kind            TEXT    NOT NULL,
    amount          BIGINT  NOT NULL,
    currency        TEXT    NOT NULL,
    conversation_id BIGINT  REFERENCES conversations (id),
    multiplier      BIGINT  NOT NULL DEFAULT 100,
    reason          TEXT    NOT NULL DEFAULT '',
    created_by      BIGINT  REFERENCES agents (id),
    source_key      TEXT    UNIQUE,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX ledger_entries_agent ON ledger_entries (workspace_id, agent_id, created_at);
CREATE INDEX ledger_entries_time ON ledger_entries (workspace_id, created_at);

CREATE TABLE pay_periods (
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    period       TEXT    NOT NULL,
    total        BIGINT  NOT NULL,
    currency     TEXT    NOT NULL,
    closed_by    BIGINT  REFERENCES agents (id),
    closed_at    BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, period)
);
