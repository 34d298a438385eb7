-- PostgreSQL port of sqlite/0004_routing.sql (same name, same meaning): BIGSERIAL ids,
-- BIGINT microsecond times, DOUBLE PRECISION for REAL.
-- Routing. Agents' skills with a level 1..5 (languages are skills named
-- "lang:xx"), the workspaces each agent is certified for (their own to
-- begin with), per-workspace routing settings (JSON, see routing.Settings;
-- the accept deadline stays in workspaces.offer_timeout_ms), offer
-- statistics per agent, the bullseye ring an offer was made in, and on a
-- conversation the ring recorded for its current time in the queue
-- (ring_queued_at = queued_at) and an email for a follow-up.
CREATE TABLE agent_skills (
    agent_id BIGINT NOT NULL REFERENCES agents (id),
    skill    TEXT    NOT NULL,
    level    BIGINT NOT NULL DEFAULT 3,
    PRIMARY KEY (agent_id, skill)
);

CREATE TABLE agent_certifications (
    agent_id     BIGINT NOT NULL REFERENCES agents (id),
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    certified_at BIGINT NOT NULL,
    PRIMARY KEY (agent_id, workspace_id)
);
CREATE INDEX agent_certifications_workspace ON agent_certifications (workspace_id, agent_id);
INSERT INTO agent_certifications (agent_id, workspace_id, certified_at) SELECT id, workspace_id, created_at FROM agents;

CREATE TABLE routing_settings (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces (id),
    settings     TEXT    NOT NULL,
    updated_at   BIGINT NOT NULL
);

ALTER TABLE agents ADD COLUMN quality_score DOUBLE PRECISION NOT NULL DEFAULT 0.5;
ALTER TABLE agents ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN offers_received BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN offers_accepted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN offers_declined BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN offers_expired BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN expired_in_row BIGINT NOT NULL DEFAULT 0;

ALTER TABLE offers ADD COLUMN ring BIGINT NOT NULL DEFAULT 0;
CREATE INDEX offers_conversation ON offers (conversation_id, status);

ALTER TABLE conversations ADD COLUMN ring BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN ring_queued_at BIGINT;
ALTER TABLE conversations ADD COLUMN follow_up_email TEXT NOT NULL DEFAULT '';
