-- Secret links that show an unpublished article to people without accounts (a source, a
-- lawyer, a subeditor at home), each expiring and revocable. Only a SHA-256 hash of the
-- link's secret is kept.
CREATE TABLE preview_links (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX preview_links_article ON preview_links (article_id);
