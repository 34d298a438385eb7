-- PostgreSQL port of sqlite/0016_training.sql (same name, same meaning):
-- BIGINT ids and microsecond times, DOUBLE PRECISION scores.
-- Training and certification. A module is Markdown material with a
-- multiple-choice quiz (questions as JSON, the correct answers with them:
-- only staff who manage training ever read them back); it certifies its
-- workspace or a skill. Every attempt is kept. Passing grants the
-- certification or skill until expires_at (NULL: no expiry); an expired
-- grant is removed by the sweep, so routing never sees it. A person newly
-- certified for a workspace is on probation ("nesting"): their capacity is
-- 1 (the capacity they had is kept in probation_capacity) and their first
-- probation_reviews conversations are marked for review, until a
-- supervisor approves them.
CREATE TABLE training_modules (
    id                   BIGSERIAL PRIMARY KEY,
    workspace_id         BIGINT  NOT NULL REFERENCES workspaces (id),
    title                TEXT    NOT NULL,
    body                 TEXT    NOT NULL,
    certifies            TEXT    NOT NULL,
    questions            TEXT    NOT NULL,
    pass_mark            DOUBLE PRECISION NOT NULL,
    retake_after_seconds BIGINT  NOT NULL DEFAULT 0,
    valid_for_days       BIGINT  NOT NULL DEFAULT 0,
    created_by           BIGINT  REFERENCES agents (id),
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL
);
CREATE INDEX training_modules_workspace ON training_modules (workspace_id, id);

CREATE TABLE training_attempts (
    id           BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    module_id    BIGINT  NOT NULL REFERENCES training_modules (id),
    agent_id     BIGINT  NOT NULL REFERENCES agents (id),
    answers      TEXT    NOT NULL,
    score        DOUBLE PRECISION NOT NULL,
    passed       BOOLEAN NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX training_attempts_agent ON training_attempts (agent_id, module_id, id);

ALTER TABLE agent_certifications ADD COLUMN expires_at BIGINT;
ALTER TABLE agent_skills ADD COLUMN expires_at BIGINT;
ALTER TABLE agents ADD COLUMN probation_reviews BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN probation_capacity BIGINT  NOT NULL DEFAULT 0;

CREATE TABLE review_marks (
    conversation_id BIGINT  NOT NULL REFERENCES conversations (id),
    workspace_id    BIGINT  NOT NULL REFERENCES workspaces (id),
    agent_id        BIGINT  NOT NULL REFERENCES agents (id),
    reason          TEXT    NOT NULL,
    marked_at       BIGINT  NOT NULL,
    reviewed_at     BIGINT,
    PRIMARY KEY (conversation_id, agent_id)
);
CREATE INDEX review_marks_workspace ON review_marks (workspace_id, reviewed_at);
