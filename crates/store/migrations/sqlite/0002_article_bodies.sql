-- Bodies move to their own table. In the articles row they pushed every column after
-- them (excerpt, status, dates…) onto overflow pages, so listing a section read every
-- listed story's whole body.
CREATE TABLE article_bodies (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    body_format TEXT NOT NULL,
    body_source TEXT NOT NULL,
    body_html TEXT NOT NULL
);
INSERT INTO article_bodies (article_id, body_format, body_source, body_html)
    SELECT id, body_format, body_source, body_html FROM articles;
ALTER TABLE articles DROP COLUMN body_format;
ALTER TABLE articles DROP COLUMN body_source;
ALTER TABLE articles DROP COLUMN body_html;
