-- The agents that have reported monitor test results for a connection (a JSON array, sorted;
-- NULL before any), sent as logAnalyticsWorkspaceProperties.connectedAgents; and the
-- subscriptions initialized for connection monitor tests (initializeConnectionMonitor).
ALTER TABLE peering_services ADD COLUMN connected_agents TEXT;
CREATE TABLE connection_monitor_subscriptions (
    subscription   TEXT NOT NULL PRIMARY KEY,
    initialized_at TEXT NOT NULL,
    initialized_by TEXT NOT NULL
) WITHOUT ROWID;
