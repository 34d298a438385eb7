-- PostgreSQL port of sqlite/0008_follow_up_mail.sql (same name, same
-- meaning): BIGINT ids and microsecond times.
-- Follow-up email. A customer who left an address while nobody was online
-- is emailed the agents' public replies. follow_up_seq is the
-- conversation's last_seq when the address was left: a customer message
-- after it means the customer is back in the chat, and replies are no
-- longer emailed.
ALTER TABLE conversations ADD COLUMN follow_up_seq BIGINT NOT NULL DEFAULT 0;

-- The mail outbox: written in the same transaction as the reply that causes
-- it, sent by the mail sender with retries. Replies written while a mail is
-- still pending (not yet sent, not being sent) are appended to it.
CREATE TABLE mail_outbox (
    id              BIGSERIAL PRIMARY KEY,
    workspace_id    BIGINT  NOT NULL REFERENCES workspaces (id),
    conversation_id BIGINT  NOT NULL REFERENCES conversations (id),
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    -- pending, sent or failed (given up).
    status          TEXT    NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    -- Set while a sender holds the mail: nothing is appended to it until then.
    claimed_until   BIGINT,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_conversation ON mail_outbox (conversation_id, id);
