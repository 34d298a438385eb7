-- Shifts. Open shifts are 30-minute slots of a workspace with a headcount
-- and a pay multiplier (hundredths: 150 is ×1.5). People book a slot and
-- may release it until the release deadline; released bookings stay, with
-- released_at, so a person's history is complete. attended_at is set when
-- the person was available at some moment of the slot; a past booking
-- without it is a no-show, which counts against adherence.
CREATE TABLE shifts (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    headcount    INTEGER NOT NULL,
    multiplier   INTEGER NOT NULL DEFAULT 100,
    created_by   INTEGER REFERENCES agents (id),
    created_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, starts_at)
);

CREATE TABLE shift_bookings (
    shift_id     INTEGER NOT NULL REFERENCES shifts (id),
    agent_id     INTEGER NOT NULL REFERENCES agents (id),
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    booked_at    INTEGER NOT NULL,
    released_at  INTEGER,
    attended_at  INTEGER,
    PRIMARY KEY (shift_id, agent_id)
);
CREATE INDEX shift_bookings_agent ON shift_bookings (agent_id, workspace_id);

-- A person's tier (new, standard, trusted) follows from their quality
-- score with hysteresis (see workforce.NextTier), so it is stored: the
-- previous tier decides which threshold applies.
ALTER TABLE agents ADD COLUMN tier TEXT NOT NULL DEFAULT 'standard';
