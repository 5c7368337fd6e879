-- Every node follows the change log. Instead of waiting for its next poll, a node
-- LISTENs on masthead_changes: each transaction that appends to the log notifies once
-- at commit (PostgreSQL folds identical notifications of one transaction into one), so
-- page caches, search indexes and related stories elsewhere catch up at once. Polling
-- stays as the fallback for a lost connection.
CREATE FUNCTION masthead_notify_changes() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('masthead_changes', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER changes_notify
    AFTER INSERT ON changes
    FOR EACH STATEMENT
    EXECUTE FUNCTION masthead_notify_changes();
