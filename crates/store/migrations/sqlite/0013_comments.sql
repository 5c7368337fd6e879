-- Reader comments. Every comment a reader sent is kept, whatever its verdict: approved
-- ones are shown, held ones wait for a moderator, spam waits 30 days in its queue before
-- it is purged, trash can be restored. The commenter's email, address and browser are
-- for moderators only.
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES comments (id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    -- The status before the last move to spam or trash, for "not spam" and "restore".
    previous_status TEXT,
    -- comment, pingback or trackback (the last two come with imports).
    kind TEXT NOT NULL DEFAULT 'comment',
    author_name TEXT NOT NULL,
    -- Trimmed and lower-cased: it identifies a returning commenter.
    author_email TEXT NOT NULL,
    author_url TEXT NOT NULL,
    body TEXT NOT NULL,
    -- text (typed by a reader) or html (imported, shown through a strict allow-list).
    body_format TEXT NOT NULL DEFAULT 'text',
    client_ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    -- A signed-in member of staff who wrote it.
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- Why it was held or marked spam, for the moderator.
    reasons TEXT NOT NULL DEFAULT '',
    spam_score REAL,
    report_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    status_changed_at TEXT NOT NULL,
    external_id TEXT
);
CREATE INDEX comments_thread ON comments (article_id, status, id);
CREATE INDEX comments_queue ON comments (status, id);
CREATE INDEX comments_email ON comments (author_email, created_at);
CREATE INDEX comments_client ON comments (client_ip, created_at);
CREATE INDEX comments_reported ON comments (report_count) WHERE report_count > 0;

-- Readers' reports, one per comment and client address.
CREATE TABLE comment_reports (
    id INTEGER PRIMARY KEY,
    comment_id INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    client_ip TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (comment_id, client_ip)
);

-- Moderators' spam / not-spam decisions: what the learned filter is retrained from. A
-- copy of the words, so purging old spam does not make the filter forget.
CREATE TABLE spam_decisions (
    id INTEGER PRIMARY KEY,
    comment_id INTEGER,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    author_url TEXT NOT NULL,
    body TEXT NOT NULL,
    spam BOOLEAN NOT NULL,
    decided_at TEXT NOT NULL
);

-- Mail about comments waiting to go out, one row per recipient and comment; the sender
-- batches a recipient's rows into one digest when several arrive together.
CREATE TABLE comment_notices (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    comment_id INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    -- new (for an article's authors) or held (for moderators).
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX comment_notices_user ON comment_notices (user_id, id);
