-- PostgreSQL port of sqlite/0018_shifts.sql (same name, same meaning):
-- BIGINT ids and microsecond times.
-- Shifts. Open shifts are 30-minute slots of a workspace with a headcount
-- and a pay multiplier (hundredths: 150 is ×1.5). People book a slot and
-- may release it until the release deadline; released bookings stay, with
-- released_at, so a person's history is complete. attended_at is set when
-- the person was available at some moment of the slot; a past booking
-- without it is a no-show, which counts against adherence.
CREATE TABLE shifts (
    id           BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    starts_at    BIGINT  NOT NULL,
    ends_at      BIGINT  NOT NULL,
    headcount    BIGINT  NOT NULL,
    multiplier   BIGINT  NOT NULL DEFAULT 100,
    created_by   BIGINT  REFERENCES agents (id),
    created_at   BIGINT  NOT NULL,
    UNIQUE (workspace_id, starts_at)
);

CREATE TABLE shift_bookings (
    shift_id     BIGINT  NOT NULL REFERENCES shifts (id),
    agent_id     BIGINT  NOT NULL REFERENCES agents (id),
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    booked_at    BIGINT  NOT NULL,
    released_at  BIGINT,
    attended_at  BIGINT,
    PRIMARY KEY (shift_id, agent_id)
);
CREATE INDEX shift_bookings_agent ON shift_bookings (agent_id, workspace_id);

-- A person's tier (new, standard, trusted) follows from their quality
-- score with hysteresis (see workforce.NextTier), so it is stored: the
-- previous tier decides which threshold applies.
ALTER TABLE agents ADD COLUMN tier TEXT NOT NULL DEFAULT 'standard';
