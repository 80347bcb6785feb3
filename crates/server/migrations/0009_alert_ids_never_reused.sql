-- An alert's id is what a webhook receiver pairs an opening with its resolution by
-- (`alertId`): it must never be given twice. Without AUTOINCREMENT, SQLite hands out the
-- largest id again once its row is deleted (with its rule or its connection), so the table is
-- made again with it. (PostgreSQL's identity column never reuses an id.)
CREATE TABLE alerts_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription   TEXT NOT NULL,
    rg_key         TEXT NOT NULL,
    service_key    TEXT NOT NULL,
    rule_key       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    opened_at      TEXT NOT NULL,
    resolved_at    TEXT,
    summary        TEXT NOT NULL,
    FOREIGN KEY (subscription, rg_key, service_key, rule_key)
        REFERENCES alert_rules (subscription, rg_key, service_key, name_key) ON DELETE CASCADE
);
INSERT INTO alerts_new (id, subscription, rg_key, service_key, rule_key, kind, opened_at, resolved_at, summary)
    SELECT id, subscription, rg_key, service_key, rule_key, kind, opened_at, resolved_at, summary FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE INDEX alerts_by_connection ON alerts (subscription, rg_key, service_key, opened_at);
CREATE UNIQUE INDEX alerts_one_open_per_rule ON alerts (subscription, rg_key, service_key, rule_key) WHERE resolved_at IS NULL;
