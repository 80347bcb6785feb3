-- Whether each author is a person signed in with the identity provider ('User') or a static
-- token ('Application'), as systemData's createdByType / lastModifiedByType say. Rows written
-- before named a token's fingerprint: 'Key'.
ALTER TABLE peering_services ADD COLUMN created_by_type TEXT COLLATE "C" NOT NULL DEFAULT 'Key';
ALTER TABLE peering_services ADD COLUMN modified_by_type TEXT COLLATE "C" NOT NULL DEFAULT 'Key';
ALTER TABLE prefixes ADD COLUMN created_by_type TEXT COLLATE "C" NOT NULL DEFAULT 'Key';
ALTER TABLE prefixes ADD COLUMN modified_by_type TEXT COLLATE "C" NOT NULL DEFAULT 'Key';
ALTER TABLE monitor_tests ADD COLUMN created_by_type TEXT COLLATE "C" NOT NULL DEFAULT 'Key';
ALTER TABLE monitor_tests ADD COLUMN modified_by_type TEXT COLLATE "C" NOT NULL DEFAULT 'Key';
ALTER TABLE alert_rules ADD COLUMN created_by_type TEXT COLLATE "C" NOT NULL DEFAULT 'Key';
ALTER TABLE alert_rules ADD COLUMN modified_by_type TEXT COLLATE "C" NOT NULL DEFAULT 'Key';
