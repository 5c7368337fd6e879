-- Corrections and updates appended to published articles, shown on the page with
-- their dates and kept for good (nothing in the newsroom edits or removes them).
CREATE TABLE corrections (
    id BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    -- correction or update
    kind TEXT NOT NULL,
    note TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX corrections_article ON corrections (article_id, id);
