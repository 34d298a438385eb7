-- Full-text search over conversations' messages (GET /api/v1/conversations?q=).
-- An external-content FTS5 index of messages.body, kept in step by the
-- store in the same transaction as the message it indexes; rowid is the
-- message id. Existing messages are indexed here once.
CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages;
