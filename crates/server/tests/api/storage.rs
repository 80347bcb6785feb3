use crate::helpers::*;
use peering_server::Settings;
use serde_json::{json, Value};

#[tokio::test]
async fn everything_survives_a_restart() {
    let app = spawn_app().await;
    app.create_connection("rg", "c").await;
    app.create_prefix("rg", "c", "p", "8.8.8.0/24").await;
    app.insert_prefix_event("rg", "c", "p", 1, "PrefixAnnouncementEvent")
        .await;
    app.create_monitor_test("rg", "c", "t").await;
    let before = read_all(&app).await;
    let dir = app.stop().await;

    // A new server on the same file (the old one's connections are dropped with its task).
    let app = spawn_app_in(dir, Settings::default()).await;
    let after = read_all(&app).await;
    assert_eq!(before, after);
    assert_eq!(after[1]["properties"]["prefix"], "8.8.8.0/24");
    assert_eq!(
        after[1]["properties"]["events"][0]["eventType"],
        "PrefixAnnouncementEvent"
    );
    assert_eq!(after[2]["properties"]["destinationPort"], 443);
}

async fn read_all(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    for tail in ["", "/prefixes/p", "/connectionMonitorTests/t"] {
        out.push(
            app.get_json(&format!("{}&$expand=events", app.url("rg", "c", tail)))
                .await,
        );
    }
    out
}

/// Every answer about connections, with its ETag where it has one, in every api-version.
async fn connection_answers(app: &TestApp) -> Vec<(Value, Option<String>)> {
    let mut out = Vec::new();
    for version in ["2021-06-01", "2022-10-01", "2025-05-01"] {
        for url in [
            app.service_url("rg", "a"),
            app.service_url("Rg-(2)", "b.c"),
            app.sub_url("peeringServices"),
            app.url("Rg-(2)", "", ""),
        ] {
            let res = expect_status(app.get(&with_version(&url, version)).await, 200);
            let etag = res
                .headers()
                .get("etag")
                .map(|v| v.to_str().unwrap().to_owned());
            out.push((res.json().await.unwrap(), etag));
        }
    }
    out
}

/// Connections are served from their representation stored at write time (migration 3); a
/// database from before it, or with a representation of another format, is brought up to date
/// when the server opens it, and answers exactly as before.
#[tokio::test]
async fn stored_representations_are_written_for_older_databases() {
    let mut app = spawn_app().await;
    app.create_connection("rg", "a").await;
    let mut body = connection_body();
    body["tags"] = json!({"team": "net", "quote": "\"<&>\""});
    body["sku"] = json!({"name": "Standard_Free"});
    expect_status(
        app.put_json(&app.service_url("Rg-(2)", "b.c"), &body).await,
        201,
    );
    if on_sqlite("an older SQLite schema") {
        // As written before authors had types (migration 10): every author a token's `Key`.
        let dir = app.stop().await;
        sql_in(
            dir.path(),
            "UPDATE peering_services SET created_by_type = 'Key', modified_by_type = 'Key';
             DELETE FROM peering_service_json;",
        )
        .await;
        app = spawn_app_in(dir, Settings::default()).await;
    }
    let before = connection_answers(&app).await;
    assert_eq!(before[5].0["tags"]["quote"], "\"<&>\"");

    for older in [
        // As the server left it before migration 3.
        "DROP TABLE peering_service_json; DROP TABLE monitor_results; DROP TABLE provider_prefixes;
         DROP TABLE bgp_routes; DROP TABLE bgp_sessions; DROP TABLE latency_sketches;
         DROP TABLE connection_monitor_subscriptions; ALTER TABLE peering_services DROP COLUMN connected_agents;
         DROP TABLE alerts; DROP TABLE alert_rules; DROP TABLE webhook_attempts; DROP TABLE webhook_deliveries;
         DROP TABLE activity;
         DROP INDEX prefix_events_by_time; DROP INDEX prefix_events_by_connection_time;
         ALTER TABLE peering_services DROP COLUMN created_by_type;
         ALTER TABLE peering_services DROP COLUMN modified_by_type;
         ALTER TABLE prefixes DROP COLUMN created_by_type; ALTER TABLE prefixes DROP COLUMN modified_by_type;
         ALTER TABLE monitor_tests DROP COLUMN created_by_type;
         ALTER TABLE monitor_tests DROP COLUMN modified_by_type;
         PRAGMA user_version = 2;",
        // Representations of another format, and one missing.
        "UPDATE peering_service_json SET format = 0, body = '{\"stale\":true', etag = 'x';
         DELETE FROM peering_service_json WHERE name_key = 'a';",
    ] {
        if older.contains("PRAGMA") && !on_sqlite("an older SQLite schema") {
            continue;
        }
        let dir = app.stop().await;
        sql_in(dir.path(), older).await;
        let restarted = spawn_app_in(dir, Settings::default()).await;
        assert_eq!(connection_answers(&restarted).await, before, "{older}");
        app = restarted;
    }
    if postgres_admin().is_none() {
        assert_eq!(
            peering_server::store::sqlite::inspect(&app.db_path())
                .unwrap()
                .user_version,
            peering_server::store::sqlite::SCHEMA_VERSION
        );
    }
}

/// A new database, its WAL and its shared memory are readable by their owner only.
#[cfg(unix)]
#[test]
fn a_new_database_and_its_wal_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.db");
    let store = peering_server::open_sqlite(&path, 1).unwrap();
    for file in ["private.db", "private.db-wal", "private.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    drop(store);
}

#[test]
fn the_database_is_wal_and_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    drop(peering_server::open_sqlite(&path, 1).unwrap());
    let conn = rusqlite_open(&path);
    let (mode, version) = conn;
    assert_eq!(mode, "wal");
    assert_eq!(version, peering_server::store::sqlite::SCHEMA_VERSION);
    assert_eq!(version, 11, "the migrations in crates/server/migrations");
    // Opening again runs nothing twice.
    drop(peering_server::open_sqlite(&path, 1).unwrap());
    assert_eq!(rusqlite_open(&path).1, 11);
}

/// A p95 rule stored when forMinutes could be 1440 is brought within today's 360 when the
/// database is migrated, rather than left unreadable.
#[tokio::test]
async fn a_p95_rule_stored_under_the_old_limit_is_brought_within_it() {
    if !on_sqlite("SQLite's migration 0008") {
        return;
    }
    let app = spawn_app().await;
    app.create_connection("rg", "c").await;
    let rule = app.url("rg", "c", "/alertRules/slow");
    let body = serde_json::json!({"properties": {"kind": "LatencyP95", "thresholdMs": 80, "forMinutes": 300}});
    expect_status(app.put_json(&rule, &body).await, 201);
    let path = app.db_path();
    let dir = app.stop().await;
    let db = rusqlite::Connection::open(&path).unwrap();
    // As a server before migration 8 left it (later migrations' columns removed).
    db.execute_batch(
        "UPDATE alert_rules SET for_minutes = 1440;
         ALTER TABLE peering_services DROP COLUMN created_by_type;
         ALTER TABLE peering_services DROP COLUMN modified_by_type;
         ALTER TABLE prefixes DROP COLUMN created_by_type; ALTER TABLE prefixes DROP COLUMN modified_by_type;
         ALTER TABLE monitor_tests DROP COLUMN created_by_type;
         ALTER TABLE monitor_tests DROP COLUMN modified_by_type;
         ALTER TABLE alert_rules DROP COLUMN created_by_type;
         ALTER TABLE alert_rules DROP COLUMN modified_by_type;
         DROP TABLE activity;
         PRAGMA user_version = 7;",
    )
    .unwrap();
    drop(db);
    let app = spawn_app_in(dir, Settings::default()).await;
    let got = app.get_json(&app.url("rg", "c", "/alertRules/slow")).await;
    assert_eq!(got["properties"]["forMinutes"], 360, "{got}");
}

fn rusqlite_open(path: &std::path::Path) -> (String, i64) {
    let c = peering_server::store::sqlite::inspect(path).unwrap();
    (c.journal_mode, c.user_version)
}
