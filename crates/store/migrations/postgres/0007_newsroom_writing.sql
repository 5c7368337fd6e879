-- Writing in the newsroom. Each article gets its owner (the account that created it:
-- WordPress's post author, for the "own articles" rules), a version every save moves
-- (its ETag, and the guard against silent overwrites) and a label. Every save is kept
-- as a revision; so is a save refused as outdated, so that nothing typed is lost.
ALTER TABLE articles ADD COLUMN owner_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE articles ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE articles ADD COLUMN label TEXT NOT NULL DEFAULT 'news';
CREATE INDEX articles_owner ON articles (owner_id);

CREATE TABLE article_revisions (
    id BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    -- The version this content became (for a refused save: the version it was based on).
    version BIGINT NOT NULL,
    -- save, autosave, restore or refused
    kind TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    -- The editable fields as JSON.
    content TEXT NOT NULL
);
CREATE INDEX article_revisions_article ON article_revisions (article_id, id DESC);

-- Terms are found by slug or by name (the API names slugs, imports names).
CREATE INDEX sections_name ON sections (name);
CREATE INDEX tags_name ON tags (name);
CREATE INDEX authors_name ON authors (name);
