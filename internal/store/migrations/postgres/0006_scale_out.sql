-- PostgreSQL port of sqlite/0006_scale_out.sql.
-- Webhooks: per-workspace endpoints subscribed to event types, and the
-- deliveries owed to them. The events table is the transactional outbox: a
-- fan-out pass reads it past a per-workspace cursor and writes one delivery
-- per (endpoint, event), idempotently.
CREATE TABLE webhook_endpoints (
    id                  BIGSERIAL PRIMARY KEY,
    workspace_id        BIGINT  NOT NULL REFERENCES workspaces (id),
    url                 TEXT    NOT NULL,
    description         TEXT    NOT NULL DEFAULT '',
    -- Comma-separated webhook event types, or '*' for every type.
    event_types         TEXT    NOT NULL,
    -- Staff events (internal notes, offers, agent status) go out only when set.
    staff_events        BOOLEAN NOT NULL DEFAULT FALSE,
    enabled             BOOLEAN NOT NULL DEFAULT TRUE,
    secret              TEXT    NOT NULL,
    -- During a rotation the old secret signs too, until it expires.
    previous_secret     TEXT    NOT NULL DEFAULT '',
    previous_expires_at BIGINT,
    -- Events with seq > from_seq are delivered: those after the endpoint was made.
    from_seq            BIGINT  NOT NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);
CREATE INDEX webhook_endpoints_workspace ON webhook_endpoints (workspace_id, id);

-- How far the fan-out has read each workspace's event log.
CREATE TABLE webhook_cursors (
    workspace_id BIGINT  PRIMARY KEY REFERENCES workspaces (id),
    seq          BIGINT  NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    workspace_id    BIGINT  NOT NULL REFERENCES workspaces (id),
    endpoint_id     BIGINT  NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_seq       BIGINT  NOT NULL,
    event_type      TEXT    NOT NULL,
    -- The webhook-id header: the same on every attempt, so receivers can dedupe.
    msg_id          TEXT    NOT NULL UNIQUE,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_attempt_at BIGINT,
    last_status     BIGINT,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    delivered_at    BIGINT,
    UNIQUE (endpoint_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- Every attempt, for the admins' delivery log.
CREATE TABLE webhook_attempts (
    id          BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT  NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    status_code BIGINT,
    error       TEXT    NOT NULL DEFAULT '',
    duration_ms BIGINT  NOT NULL,
    response    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- Every node's dispatcher looks, now and then, for workspaces with people
-- waiting: a trigger lost with a killed node must not leave them waiting.
CREATE INDEX conversations_waiting ON conversations (workspace_id) WHERE status = 'queued';
