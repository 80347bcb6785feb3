-- Each connection's representation as it is sent, written in the same transaction as the
-- connection, so reads copy bytes instead of serialising columns (a list of 100 is one range
-- read of this table). `body` is the JSON object without its closing brace, the same for every
-- api-version; `system_data` is `,"systemData":{...}`, added for 2025-05-01; `etag` is the
-- hash of body + system_data + "}". `format` is the version of the representation: the server
-- rewrites rows of another format (and writes any that are missing) when it opens the file.
CREATE TABLE peering_service_json (
    subscription TEXT NOT NULL,
    rg_key       TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    format       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    system_data  TEXT NOT NULL,
    etag         TEXT NOT NULL,
    PRIMARY KEY (subscription, rg_key, name_key),
    FOREIGN KEY (subscription, rg_key, name_key)
        REFERENCES peering_services (subscription, rg_key, name_key) ON DELETE CASCADE
) WITHOUT ROWID;
