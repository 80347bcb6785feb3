-- Alert rules (children of a connection), the alerts they open and resolve, and the webhook
-- deliveries of each opening and resolution with every attempt.
CREATE TABLE alert_rules (
    subscription   TEXT NOT NULL,
    rg_key         TEXT NOT NULL,
    service_key    TEXT NOT NULL,
    name_key       TEXT NOT NULL,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    threshold_ms   REAL,
    for_minutes    INTEGER,
    level          TEXT,
    consecutive    INTEGER,
    created_at     TEXT NOT NULL,
    modified_at    TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    modified_by    TEXT NOT NULL,
    PRIMARY KEY (subscription, rg_key, service_key, name_key),
    FOREIGN KEY (subscription, rg_key, service_key)
        REFERENCES peering_services (subscription, rg_key, name_key) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE alerts (
    id             INTEGER PRIMARY KEY,
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
CREATE INDEX alerts_by_connection ON alerts (subscription, rg_key, service_key, opened_at);
CREATE UNIQUE INDEX alerts_one_open_per_rule ON alerts (subscription, rg_key, service_key, rule_key) WHERE resolved_at IS NULL;

-- One row per webhook and alert change to deliver; `body` is exactly what is signed and sent.
CREATE TABLE webhook_deliveries (
    id             INTEGER PRIMARY KEY,
    subscription   TEXT NOT NULL,
    url            TEXT NOT NULL,
    body           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_attempt   INTEGER NOT NULL,   -- Unix seconds
    delivered_at   TEXT,
    gave_up_at     TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE TABLE webhook_attempts (
    delivery_id    INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt        INTEGER NOT NULL,
    at             TEXT NOT NULL,
    status         INTEGER,            -- the HTTP status, NULL when no answer came
    error          TEXT,
    PRIMARY KEY (delivery_id, attempt)
) WITHOUT ROWID;

-- Which agent reported each monitor result (the test's source agent then), so a connection's
-- connected agents are the agents that reported, whatever a test names now.
ALTER TABLE monitor_results ADD COLUMN agent TEXT;
UPDATE monitor_results SET agent = (SELECT t.source_agent FROM monitor_tests t WHERE t.subscription = monitor_results.subscription
    AND t.rg_key = monitor_results.rg_key AND t.service_key = monitor_results.service_key AND t.name_key = monitor_results.test_key);
-- Reading events newest first, per prefix and per connection, without a sort.
CREATE INDEX prefix_events_by_time ON prefix_events (subscription, rg_key, service_key, prefix_key, event_timestamp, seq);
CREATE INDEX prefix_events_by_connection_time ON prefix_events (subscription, rg_key, service_key, event_timestamp, seq);
