-- What triage last read in the customer's words, kept on the conversation
-- so routing (skills, priority) and the people who take over can use it.
ALTER TABLE conversations ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN intent TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN intent_confidence DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN sentiment DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN frustrated BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE conversations ADD COLUMN sensitive TEXT NOT NULL DEFAULT '';
