-- Names are unique case-insensitively: *_key columns hold the lower-case form, the others the
-- casing the client first used.
CREATE TABLE peering_services (
    subscription   TEXT NOT NULL,
    rg_key         TEXT NOT NULL,
    name_key       TEXT NOT NULL,
    resource_group TEXT NOT NULL,
    name           TEXT NOT NULL,
    location       TEXT NOT NULL,
    tags           TEXT,            -- JSON object, NULL when absent
    sku            TEXT,            -- JSON object, NULL when absent
    peering_service_location TEXT NOT NULL,
    provider       TEXT NOT NULL,
    primary_location TEXT NOT NULL,
    backup_location  TEXT,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    modified_at    TEXT NOT NULL,
    modified_by    TEXT NOT NULL,
    PRIMARY KEY (subscription, rg_key, name_key)
) WITHOUT ROWID;

CREATE TABLE prefixes (
    subscription   TEXT NOT NULL,
    rg_key         TEXT NOT NULL,
    service_key    TEXT NOT NULL,
    name_key       TEXT NOT NULL,
    name           TEXT NOT NULL,
    prefix         TEXT NOT NULL,
    prefix_addr    INTEGER NOT NULL,
    prefix_len     INTEGER NOT NULL,
    prefix_key     TEXT,
    validation_state TEXT NOT NULL,
    learned_type   TEXT NOT NULL,
    error_message  TEXT,
    created_at     TEXT NOT NULL,
    modified_at    TEXT NOT NULL,
    PRIMARY KEY (subscription, rg_key, service_key, name_key),
    FOREIGN KEY (subscription, rg_key, service_key)
        REFERENCES peering_services (subscription, rg_key, name_key) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX prefixes_by_subscription ON prefixes (subscription, prefix_addr);

CREATE TABLE prefix_events (
    subscription   TEXT NOT NULL,
    rg_key         TEXT NOT NULL,
    service_key    TEXT NOT NULL,
    prefix_key     TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    event_timestamp TEXT NOT NULL,
    event_type     TEXT NOT NULL,
    event_summary  TEXT NOT NULL,
    event_level    TEXT NOT NULL,
    event_description TEXT NOT NULL,
    PRIMARY KEY (subscription, rg_key, service_key, prefix_key, seq),
    FOREIGN KEY (subscription, rg_key, service_key, prefix_key)
        REFERENCES prefixes (subscription, rg_key, service_key, name_key) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE monitor_tests (
    subscription   TEXT NOT NULL,
    rg_key         TEXT NOT NULL,
    service_key    TEXT NOT NULL,
    name_key       TEXT NOT NULL,
    name           TEXT NOT NULL,
    source_agent   TEXT NOT NULL,
    destination    TEXT NOT NULL,
    destination_port INTEGER NOT NULL,
    frequency_sec  INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    modified_at    TEXT NOT NULL,
    PRIMARY KEY (subscription, rg_key, service_key, name_key),
    FOREIGN KEY (subscription, rg_key, service_key)
        REFERENCES peering_services (subscription, rg_key, name_key) ON DELETE CASCADE
) WITHOUT ROWID;
