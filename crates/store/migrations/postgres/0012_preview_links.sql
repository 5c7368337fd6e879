-- Secret links that show an unpublished article to people without accounts (a source, a
-- lawyer, a subeditor at home), each expiring and revocable. Only a SHA-256 hash of the
-- link's secret is kept.
CREATE TABLE preview_links (
    id BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX preview_links_article ON preview_links (article_id);
