-- The media library: each uploaded image's renditions (a JSON manifest made by the media
-- crate: keys, widths, heights) and what the editor says about it (alt text, caption,
-- credit, licence, focal point: JSON too), with the words a search looks in.
CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    file_name TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    manifest TEXT NOT NULL,
    meta TEXT NOT NULL,
    -- file name, alt text, caption and credit, lower-cased, for the library's search
    search_text TEXT NOT NULL,
    uploaded_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX media_newest ON media (created_at DESC, id DESC);

ALTER TABLE articles ADD COLUMN featured_media_id INTEGER REFERENCES media (id) ON DELETE SET NULL;
