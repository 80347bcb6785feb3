-- Who created and last changed a prefix or a monitor test (for systemData), as for connections.
ALTER TABLE prefixes ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
ALTER TABLE prefixes ADD COLUMN modified_by TEXT NOT NULL DEFAULT '';
ALTER TABLE monitor_tests ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
ALTER TABLE monitor_tests ADD COLUMN modified_by TEXT NOT NULL DEFAULT '';
