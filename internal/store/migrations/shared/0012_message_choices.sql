-- A question back from the assistant carries the answers a customer can
-- tap (choices: a JSON array of {id, label}); a customer's message says
-- which one they tapped (choice_id), so the assistant and the person who
-- takes over know what was chosen, not just the words shown.
ALTER TABLE messages ADD COLUMN choices TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN choice_id TEXT NOT NULL DEFAULT '';
