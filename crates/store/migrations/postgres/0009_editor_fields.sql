-- What the newsroom's editor adds to an article: a dateline, search-engine title and
-- description, a canonical URL for syndicated copies, and a "do not index" switch.
-- And who has an article open, so an editor is told before two people edit at once.
ALTER TABLE articles ADD COLUMN dateline TEXT;
ALTER TABLE articles ADD COLUMN seo_title TEXT;
ALTER TABLE articles ADD COLUMN seo_description TEXT;
ALTER TABLE articles ADD COLUMN canonical_url TEXT;
ALTER TABLE articles ADD COLUMN noindex BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE article_presence (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (article_id, user_id)
);
