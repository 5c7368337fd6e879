-- PostgreSQL notifies listening nodes of change-log rows (see the PostgreSQL migration of
-- the same number). SQLite has one process serving and nobody to notify: the server
-- polls its own file. Kept so both backends share one list of schema versions.
SELECT 1;
