-- Lists of a section, tag or byline are walked newest first straight from the link
-- table: each link row carries its article's status and publication time, and one
-- index orders them. A page of a large section then costs a page's worth of index
-- entries instead of sorting every member. The store writes these two columns
-- whenever it writes the article (links are rewritten with every save).

ALTER TABLE article_sections ADD COLUMN status TEXT NOT NULL DEFAULT 'draft';
ALTER TABLE article_sections ADD COLUMN published_at TEXT;
UPDATE article_sections SET status = (SELECT a.status FROM articles a WHERE a.id = article_sections.article_id),
    published_at = (SELECT a.published_at FROM articles a WHERE a.id = article_sections.article_id);
DROP INDEX article_sections_section;
CREATE INDEX article_sections_listing ON article_sections (section_id, status, published_at DESC, article_id DESC);

ALTER TABLE article_tags ADD COLUMN status TEXT NOT NULL DEFAULT 'draft';
ALTER TABLE article_tags ADD COLUMN published_at TEXT;
UPDATE article_tags SET status = (SELECT a.status FROM articles a WHERE a.id = article_tags.article_id),
    published_at = (SELECT a.published_at FROM articles a WHERE a.id = article_tags.article_id);
DROP INDEX article_tags_tag;
CREATE INDEX article_tags_listing ON article_tags (tag_id, status, published_at DESC, article_id DESC);

ALTER TABLE article_authors ADD COLUMN status TEXT NOT NULL DEFAULT 'draft';
ALTER TABLE article_authors ADD COLUMN published_at TEXT;
UPDATE article_authors SET status = (SELECT a.status FROM articles a WHERE a.id = article_authors.article_id),
    published_at = (SELECT a.published_at FROM articles a WHERE a.id = article_authors.article_id);
DROP INDEX article_authors_author;
CREATE INDEX article_authors_listing ON article_authors (author_id, status, published_at DESC, article_id DESC);

-- The front page's lead is the newest featured story: found in an index, not by
-- walking every public article when none is featured.
CREATE INDEX articles_featured ON articles (featured, status, published_at DESC, id DESC);
