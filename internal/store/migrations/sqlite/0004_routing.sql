-- Routing. Agents' skills with a level 1..5 (languages are skills named
-- "lang:xx"), the workspaces each agent is certified for (their own to
-- begin with), per-workspace routing settings (JSON, see routing.Settings;
-- the accept deadline stays in workspaces.offer_timeout_ms), offer
-- statistics per agent, the bullseye ring an offer was made in, and on a
-- conversation the ring recorded for its current time in the queue
-- (ring_queued_at = queued_at) and an email for a follow-up.
CREATE TABLE agent_skills (
    agent_id INTEGER NOT NULL REFERENCES agents (id),
    skill    TEXT    NOT NULL,
    level    INTEGER NOT NULL DEFAULT 3,
    PRIMARY KEY (agent_id, skill)
);

CREATE TABLE agent_certifications (
    agent_id     INTEGER NOT NULL REFERENCES agents (id),
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    certified_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, workspace_id)
);
CREATE INDEX agent_certifications_workspace ON agent_certifications (workspace_id, agent_id);
INSERT INTO agent_certifications (agent_id, workspace_id, certified_at) SELECT id, workspace_id, created_at FROM agents;

CREATE TABLE routing_settings (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces (id),
    settings     TEXT    NOT NULL,
    updated_at   INTEGER NOT NULL
);

ALTER TABLE agents ADD COLUMN quality_score REAL NOT NULL DEFAULT 0.5;
ALTER TABLE agents ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN offers_received INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN offers_accepted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN offers_declined INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN offers_expired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN expired_in_row INTEGER NOT NULL DEFAULT 0;

ALTER TABLE offers ADD COLUMN ring INTEGER NOT NULL DEFAULT 0;
CREATE INDEX offers_conversation ON offers (conversation_id, status);

ALTER TABLE conversations ADD COLUMN ring INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN ring_queued_at INTEGER;
ALTER TABLE conversations ADD COLUMN follow_up_email TEXT NOT NULL DEFAULT '';
