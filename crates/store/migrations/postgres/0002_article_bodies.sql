-- Bodies move to their own table, so list queries read narrow rows (on SQLite they
-- pushed the columns after them onto overflow pages; here it keeps the tables alike).
CREATE TABLE article_bodies (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    body_format TEXT NOT NULL,
    body_source TEXT NOT NULL,
    body_html TEXT NOT NULL
);
INSERT INTO article_bodies (article_id, body_format, body_source, body_html)
    SELECT id, body_format, body_source, body_html FROM articles;
ALTER TABLE articles DROP COLUMN body_format;
ALTER TABLE articles DROP COLUMN body_source;
ALTER TABLE articles DROP COLUMN body_html;
