-- A section's or tag's earlier slugs, so old archive addresses answer 301 with where the
-- term lives now: after a rename, and after a merge or a deletion that moved its articles
-- to another term (the row then names that term). A live term with the slug always wins.
CREATE TABLE term_slug_history (
    id INTEGER PRIMARY KEY,
    -- section or tag
    kind TEXT NOT NULL,
    slug TEXT NOT NULL,
    term_id BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX term_slug_history_slug ON term_slug_history (kind, slug);
CREATE INDEX term_slug_history_term ON term_slug_history (kind, term_id);
