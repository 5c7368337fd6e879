-- The site: sections, bylines, tags, articles, static pages, slug history, settings and
-- the change log that readers' caches and the search index follow.

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE sections (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    parent_id BIGINT REFERENCES sections (id) ON DELETE SET NULL,
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE authors (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    email TEXT,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE tags (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE articles (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    url_date DATE,
    title TEXT NOT NULL,
    kicker TEXT,
    dek TEXT,
    body_format TEXT NOT NULL,
    body_source TEXT NOT NULL,
    body_html TEXT NOT NULL,
    editor_excerpt TEXT,
    excerpt TEXT NOT NULL,
    status TEXT NOT NULL,
    published_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    section_id BIGINT NOT NULL REFERENCES sections (id),
    featured BOOLEAN NOT NULL DEFAULT FALSE,
    comments_open BOOLEAN NOT NULL DEFAULT TRUE,
    language TEXT NOT NULL DEFAULT 'en',
    featured_image TEXT,
    featured_image_alt TEXT,
    external_id TEXT UNIQUE,
    comment_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX articles_public ON articles (status, published_at DESC, id DESC);
CREATE INDEX articles_url_date ON articles (url_date, slug);

CREATE TABLE article_sections (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    section_id BIGINT NOT NULL REFERENCES sections (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (article_id, section_id)
);
CREATE INDEX article_sections_section ON article_sections (section_id, article_id);

CREATE TABLE article_tags (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_tag ON article_tags (tag_id, article_id);

CREATE TABLE article_authors (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (article_id, author_id)
);
CREATE INDEX article_authors_author ON article_authors (author_id, article_id);

CREATE TABLE slug_history (
    id BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    url_date DATE,
    slug TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX slug_history_slug ON slug_history (slug);

CREATE TABLE pages (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body_format TEXT NOT NULL,
    body_source TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL,
    published_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE changes (
    id BIGSERIAL PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
