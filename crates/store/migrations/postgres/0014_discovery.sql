-- Searches that found nothing, counted for editors (what readers look for and do not
-- find). The query is kept as typed, trimmed and lower-cased; no reader is identified.
CREATE TABLE search_misses (
    query TEXT PRIMARY KEY,
    count BIGINT NOT NULL,
    first_at TIMESTAMPTZ NOT NULL,
    last_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX search_misses_by_count ON search_misses (count DESC, last_at DESC);

-- Related stories an editor chose for an article, in order; they come before the
-- automatic ones under "You May Also Like".
CREATE TABLE related_pins (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    pinned_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX related_pins_by_pinned ON related_pins (pinned_id);
