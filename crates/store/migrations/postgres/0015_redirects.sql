-- Redirects an editor made (301, 302, or 410 Gone) and those an import brought (the old
-- site's addresses: post links, ?p= ids, category and tag archives, uploads). The source
-- is stored as masthead_core::redirect::source_key spells it. A redirect names either an
-- address (to_url) or a piece of content (target_kind + target_id, with to_url as a
-- suffix such as "feed/"), so it follows the content when its slug changes later.
CREATE TABLE redirects (
    id BIGSERIAL PRIMARY KEY,
    from_path TEXT NOT NULL UNIQUE,
    to_url TEXT NOT NULL DEFAULT '',
    -- article, page, section, tag, author, media; NULL when to_url is the destination.
    target_kind TEXT,
    target_id BIGINT,
    status INTEGER NOT NULL,
    -- manual, wordpress, ghost, markdown
    origin TEXT NOT NULL,
    hits BIGINT NOT NULL DEFAULT 0,
    last_hit_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX redirects_target ON redirects (target_kind, target_id);
CREATE INDEX redirects_origin ON redirects (origin, id);

-- An imported comment is found again by the id it had where it came from, so a second
-- import of the same file updates it instead of adding a copy.
CREATE INDEX comments_external ON comments (external_id);

-- A tag's description, as WordPress keeps one (imports bring it; archives may show it).
ALTER TABLE tags ADD COLUMN description TEXT NOT NULL DEFAULT '';
