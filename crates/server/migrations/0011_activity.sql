-- The activity log: every write with who made it, its outcome and the resource before and
-- after (JSON text), recorded in the write's own transaction; refused writes too. Read newest
-- first by subscription, optionally by resource group, caller, correlation id or resource
-- (with the resources under it: a connection's history), each by its own index, so the first
-- page of any of them reads a page's worth of rows. Expiry walks `activity_expiry`.
CREATE TABLE activity (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id          TEXT NOT NULL UNIQUE,
    subscription      TEXT NOT NULL,
    at_ms             INTEGER NOT NULL,
    operation         TEXT NOT NULL,
    status            TEXT NOT NULL,
    http_status       INTEGER NOT NULL,
    sub_status        TEXT,
    message           TEXT,
    change_type       TEXT,
    method            TEXT NOT NULL,
    resource_id       TEXT NOT NULL,
    resource_key      TEXT NOT NULL,
    resource_group    TEXT,
    rg_key            TEXT,
    caller            TEXT NOT NULL,
    caller_type       TEXT NOT NULL,
    request_id        TEXT NOT NULL,
    correlation_id    TEXT NOT NULL,
    client_request_id TEXT,
    client_ip         TEXT,
    before_json       TEXT,
    after_json        TEXT
);
CREATE INDEX activity_by_time ON activity (subscription, at_ms, id);
CREATE INDEX activity_by_group ON activity (subscription, rg_key, at_ms, id);
CREATE INDEX activity_by_caller ON activity (subscription, caller, at_ms, id);
CREATE INDEX activity_by_correlation ON activity (subscription, correlation_id, at_ms, id);
CREATE INDEX activity_by_resource ON activity (subscription, resource_key, at_ms, id);
CREATE INDEX activity_expiry ON activity (at_ms);
