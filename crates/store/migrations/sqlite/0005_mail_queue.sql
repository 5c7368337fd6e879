-- Outgoing mail waits here until a sender (any node) delivers it: a request that
-- causes mail never waits for SMTP, and nothing is lost when a server is down.
CREATE TABLE mail_queue (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- NULL once the mail is sent or given up on, so the due index holds pending mail only.
    next_attempt_at TEXT,
    sent_at TEXT,
    failed_at TEXT,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at);
