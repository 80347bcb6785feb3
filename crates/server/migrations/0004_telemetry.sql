-- Telemetry a collector sends (ingestion endpoints): what each provider BGP session last said
-- about each prefix, the sessions seen, the keys providers registered, and monitor test results.
-- Per subscription, like everything else: a collector's token grants subscriptions.
-- Provider and location keys are the catalog spelling in lower case.
CREATE TABLE bgp_sessions (
    subscription  TEXT NOT NULL,
    provider_key  TEXT NOT NULL,
    location_key  TEXT NOT NULL,
    router        TEXT NOT NULL,
    provider      TEXT NOT NULL,
    peering_location TEXT NOT NULL,
    address       TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    PRIMARY KEY (subscription, provider_key, location_key, router)
) WITHOUT ROWID;

-- The newest observation of each (session, prefix); `observed_at` is UTC RFC 3339 with
-- milliseconds, so text order is time order and an older observation arriving late is ignored.
CREATE TABLE bgp_routes (
    subscription  TEXT NOT NULL,
    provider_key  TEXT NOT NULL,
    location_key  TEXT NOT NULL,
    router        TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    origin_asn    INTEGER NOT NULL,
    as_path       TEXT NOT NULL,  -- JSON array of ASNs
    communities   TEXT NOT NULL,  -- JSON array of strings
    announced     INTEGER NOT NULL,
    observed_at   TEXT NOT NULL,
    PRIMARY KEY (subscription, provider_key, prefix, location_key, router),
    FOREIGN KEY (subscription, provider_key, location_key, router)
        REFERENCES bgp_sessions (subscription, provider_key, location_key, router) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE provider_prefixes (
    subscription  TEXT NOT NULL,
    provider_key  TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    prefix_key    TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    PRIMARY KEY (subscription, provider_key, prefix)
) WITHOUT ROWID;

-- Each run of a connection monitor test, newest kept per test (see the retention in code).
CREATE TABLE monitor_results (
    subscription  TEXT NOT NULL,
    rg_key        TEXT NOT NULL,
    service_key   TEXT NOT NULL,
    test_key      TEXT NOT NULL,
    at            TEXT NOT NULL,
    success       INTEGER NOT NULL,
    hops          TEXT NOT NULL,  -- JSON array of strings
    rtt_ms        REAL,
    PRIMARY KEY (subscription, rg_key, service_key, test_key, at),
    FOREIGN KEY (subscription, rg_key, service_key, test_key)
        REFERENCES monitor_tests (subscription, rg_key, service_key, name_key) ON DELETE CASCADE
) WITHOUT ROWID;
