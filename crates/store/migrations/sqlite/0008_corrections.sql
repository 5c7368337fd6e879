-- Corrections and updates appended to published articles, shown on the page with
-- their dates and kept for good (nothing in the newsroom edits or removes them).
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    -- correction or update
    kind TEXT NOT NULL,
    note TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX corrections_article ON corrections (article_id, id);
