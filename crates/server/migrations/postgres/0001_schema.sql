-- The PostgreSQL schema: the same tables as SQLite's migrations 0001–0007 (crates/server/
-- migrations/*.sql), written in PostgreSQL's types. Later changes get a file each, here and
-- for SQLite alike. Names are unique case-insensitively: *_key columns hold the lower-case
-- form, the others the casing the client first used. Times are UTC RFC 3339 text with
-- milliseconds (text order is time order), as in SQLite, so both backends answer the same bytes.
-- Every text column compares byte by byte (COLLATE "C", SQLite's BINARY): keys, paging tokens
-- and times sort the same on both backends whatever the cluster's locale.

CREATE TABLE peering_services (
    subscription   TEXT COLLATE "C" NOT NULL,
    rg_key         TEXT COLLATE "C" NOT NULL,
    name_key       TEXT COLLATE "C" NOT NULL,
    resource_group TEXT COLLATE "C" NOT NULL,
    name           TEXT COLLATE "C" NOT NULL,
    location       TEXT COLLATE "C" NOT NULL,
    tags           TEXT COLLATE "C",            -- JSON object, NULL when absent
    sku            TEXT COLLATE "C",            -- JSON object, NULL when absent
    peering_service_location TEXT COLLATE "C" NOT NULL,
    provider       TEXT COLLATE "C" NOT NULL,
    primary_location TEXT COLLATE "C" NOT NULL,
    backup_location  TEXT COLLATE "C",
    created_at     TEXT COLLATE "C" NOT NULL,
    created_by     TEXT COLLATE "C" NOT NULL,
    modified_at    TEXT COLLATE "C" NOT NULL,
    modified_by    TEXT COLLATE "C" NOT NULL,
    connected_agents TEXT COLLATE "C",          -- JSON array, sorted; NULL before any result
    PRIMARY KEY (subscription, rg_key, name_key)
);

CREATE TABLE peering_service_json (
    subscription TEXT COLLATE "C" NOT NULL,
    rg_key       TEXT COLLATE "C" NOT NULL,
    name_key     TEXT COLLATE "C" NOT NULL,
    format       BIGINT NOT NULL,
    body         TEXT COLLATE "C" NOT NULL,
    system_data  TEXT COLLATE "C" NOT NULL,
    etag         TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (subscription, rg_key, name_key),
    FOREIGN KEY (subscription, rg_key, name_key)
        REFERENCES peering_services (subscription, rg_key, name_key) ON DELETE CASCADE
);

CREATE TABLE prefixes (
    subscription   TEXT COLLATE "C" NOT NULL,
    rg_key         TEXT COLLATE "C" NOT NULL,
    service_key    TEXT COLLATE "C" NOT NULL,
    name_key       TEXT COLLATE "C" NOT NULL,
    name           TEXT COLLATE "C" NOT NULL,
    prefix         TEXT COLLATE "C" NOT NULL,
    prefix_addr    BIGINT NOT NULL,  -- the network address as an unsigned 32-bit number
    prefix_len     SMALLINT NOT NULL,
    prefix_key     TEXT COLLATE "C",
    validation_state TEXT COLLATE "C" NOT NULL,
    learned_type   TEXT COLLATE "C" NOT NULL,
    error_message  TEXT COLLATE "C",
    created_at     TEXT COLLATE "C" NOT NULL,
    modified_at    TEXT COLLATE "C" NOT NULL,
    created_by     TEXT COLLATE "C" NOT NULL DEFAULT '',
    modified_by    TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (subscription, rg_key, service_key, name_key),
    FOREIGN KEY (subscription, rg_key, service_key)
        REFERENCES peering_services (subscription, rg_key, name_key) ON DELETE CASCADE
);
CREATE INDEX prefixes_by_subscription ON prefixes (subscription, prefix_addr);

CREATE TABLE prefix_events (
    subscription   TEXT COLLATE "C" NOT NULL,
    rg_key         TEXT COLLATE "C" NOT NULL,
    service_key    TEXT COLLATE "C" NOT NULL,
    prefix_key     TEXT COLLATE "C" NOT NULL,
    seq            BIGINT NOT NULL,
    event_timestamp TEXT COLLATE "C" NOT NULL,
    event_type     TEXT COLLATE "C" NOT NULL,
    event_summary  TEXT COLLATE "C" NOT NULL,
    event_level    TEXT COLLATE "C" NOT NULL,
    event_description TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (subscription, rg_key, service_key, prefix_key, seq),
    FOREIGN KEY (subscription, rg_key, service_key, prefix_key)
        REFERENCES prefixes (subscription, rg_key, service_key, name_key) ON DELETE CASCADE
);
CREATE INDEX prefix_events_by_time ON prefix_events (subscription, rg_key, service_key, prefix_key, event_timestamp, seq);
CREATE INDEX prefix_events_by_connection_time ON prefix_events (subscription, rg_key, service_key, event_timestamp, seq);

CREATE TABLE monitor_tests (
    subscription   TEXT COLLATE "C" NOT NULL,
    rg_key         TEXT COLLATE "C" NOT NULL,
    service_key    TEXT COLLATE "C" NOT NULL,
    name_key       TEXT COLLATE "C" NOT NULL,
    name           TEXT COLLATE "C" NOT NULL,
    source_agent   TEXT COLLATE "C" NOT NULL,
    destination    TEXT COLLATE "C" NOT NULL,
    destination_port BIGINT NOT NULL,
    frequency_sec  BIGINT NOT NULL,
    created_at     TEXT COLLATE "C" NOT NULL,
    modified_at    TEXT COLLATE "C" NOT NULL,
    created_by     TEXT COLLATE "C" NOT NULL DEFAULT '',
    modified_by    TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (subscription, rg_key, service_key, name_key),
    FOREIGN KEY (subscription, rg_key, service_key)
        REFERENCES peering_services (subscription, rg_key, name_key) ON DELETE CASCADE
);

CREATE TABLE bgp_sessions (
    subscription  TEXT COLLATE "C" NOT NULL,
    provider_key  TEXT COLLATE "C" NOT NULL,
    location_key  TEXT COLLATE "C" NOT NULL,
    router        TEXT COLLATE "C" NOT NULL,
    provider      TEXT COLLATE "C" NOT NULL,
    peering_location TEXT COLLATE "C" NOT NULL,
    address       TEXT COLLATE "C" NOT NULL,
    last_seen     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (subscription, provider_key, location_key, router)
);

CREATE TABLE bgp_routes (
    subscription  TEXT COLLATE "C" NOT NULL,
    provider_key  TEXT COLLATE "C" NOT NULL,
    location_key  TEXT COLLATE "C" NOT NULL,
    router        TEXT COLLATE "C" NOT NULL,
    prefix        TEXT COLLATE "C" NOT NULL,
    origin_asn    BIGINT NOT NULL,
    as_path       TEXT COLLATE "C" NOT NULL,  -- JSON array of ASNs
    communities   TEXT COLLATE "C" NOT NULL,  -- JSON array of strings
    announced     BOOLEAN NOT NULL,
    observed_at   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (subscription, provider_key, prefix, location_key, router),
    FOREIGN KEY (subscription, provider_key, location_key, router)
        REFERENCES bgp_sessions (subscription, provider_key, location_key, router) ON DELETE CASCADE
);

CREATE TABLE provider_prefixes (
    subscription  TEXT COLLATE "C" NOT NULL,
    provider_key  TEXT COLLATE "C" NOT NULL,
    prefix        TEXT COLLATE "C" NOT NULL,
    prefix_key    TEXT COLLATE "C" NOT NULL,
    registered_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (subscription, provider_key, prefix)
);

CREATE TABLE monitor_results (
    subscription  TEXT COLLATE "C" NOT NULL,
    rg_key        TEXT COLLATE "C" NOT NULL,
    service_key   TEXT COLLATE "C" NOT NULL,
    test_key      TEXT COLLATE "C" NOT NULL,
    at            TEXT COLLATE "C" NOT NULL,
    success       BOOLEAN NOT NULL,
    hops          TEXT COLLATE "C" NOT NULL,  -- JSON array of strings
    rtt_ms        DOUBLE PRECISION,
    agent         TEXT COLLATE "C",
    PRIMARY KEY (subscription, rg_key, service_key, test_key, at),
    FOREIGN KEY (subscription, rg_key, service_key, test_key)
        REFERENCES monitor_tests (subscription, rg_key, service_key, name_key) ON DELETE CASCADE
);

CREATE TABLE latency_sketches (
    subscription TEXT COLLATE "C" NOT NULL,
    prefix_addr  BIGINT NOT NULL,
    prefix_len   SMALLINT NOT NULL,
    tier         BIGINT NOT NULL,
    start        BIGINT NOT NULL,  -- Unix seconds, a multiple of tier
    samples      BIGINT NOT NULL,
    sketch       BYTEA NOT NULL,
    PRIMARY KEY (subscription, prefix_addr, prefix_len, tier, start)
);
CREATE INDEX latency_sketches_by_age ON latency_sketches (subscription, tier, start);

CREATE TABLE connection_monitor_subscriptions (
    subscription   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    initialized_at TEXT COLLATE "C" NOT NULL,
    initialized_by TEXT COLLATE "C" NOT NULL
);

CREATE TABLE alert_rules (
    subscription   TEXT COLLATE "C" NOT NULL,
    rg_key         TEXT COLLATE "C" NOT NULL,
    service_key    TEXT COLLATE "C" NOT NULL,
    name_key       TEXT COLLATE "C" NOT NULL,
    name           TEXT COLLATE "C" NOT NULL,
    kind           TEXT COLLATE "C" NOT NULL,
    threshold_ms   DOUBLE PRECISION,
    for_minutes    BIGINT,
    level          TEXT COLLATE "C",
    consecutive    BIGINT,
    created_at     TEXT COLLATE "C" NOT NULL,
    modified_at    TEXT COLLATE "C" NOT NULL,
    created_by     TEXT COLLATE "C" NOT NULL,
    modified_by    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (subscription, rg_key, service_key, name_key),
    FOREIGN KEY (subscription, rg_key, service_key)
        REFERENCES peering_services (subscription, rg_key, name_key) ON DELETE CASCADE
);

CREATE TABLE alerts (
    id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    subscription   TEXT COLLATE "C" NOT NULL,
    rg_key         TEXT COLLATE "C" NOT NULL,
    service_key    TEXT COLLATE "C" NOT NULL,
    rule_key       TEXT COLLATE "C" NOT NULL,
    kind           TEXT COLLATE "C" NOT NULL,
    opened_at      TEXT COLLATE "C" NOT NULL,
    resolved_at    TEXT COLLATE "C",
    summary        TEXT COLLATE "C" NOT NULL,
    FOREIGN KEY (subscription, rg_key, service_key, rule_key)
        REFERENCES alert_rules (subscription, rg_key, service_key, name_key) ON DELETE CASCADE
);
CREATE INDEX alerts_by_connection ON alerts (subscription, rg_key, service_key, opened_at);
CREATE UNIQUE INDEX alerts_one_open_per_rule ON alerts (subscription, rg_key, service_key, rule_key) WHERE resolved_at IS NULL;

CREATE TABLE webhook_deliveries (
    id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    subscription   TEXT COLLATE "C" NOT NULL,
    url            TEXT COLLATE "C" NOT NULL,
    body           TEXT COLLATE "C" NOT NULL,
    created_at     TEXT COLLATE "C" NOT NULL,
    attempts       BIGINT NOT NULL DEFAULT 0,
    next_attempt   BIGINT NOT NULL,   -- Unix seconds
    delivered_at   TEXT COLLATE "C",
    gave_up_at     TEXT COLLATE "C"
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE TABLE webhook_attempts (
    delivery_id    BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt        BIGINT NOT NULL,
    at             TEXT COLLATE "C" NOT NULL,
    status         INTEGER,
    error          TEXT COLLATE "C",
    PRIMARY KEY (delivery_id, attempt)
);
