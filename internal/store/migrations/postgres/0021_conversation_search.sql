-- Full-text search over conversations' messages (GET /api/v1/conversations?q=):
-- a GIN index over the 'simple' text-search vector of each message body
-- (no stemming: customers write in many languages). The index is
-- PostgreSQL's own, so it is in step with every insert by construction.
CREATE INDEX messages_body_fts ON messages USING GIN (to_tsvector('simple', body));
