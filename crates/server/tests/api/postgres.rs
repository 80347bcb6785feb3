//! The PostgreSQL schema against a real server started by the test: instances starting
//! together migrate once (the advisory lock), and a newer schema is refused untouched.

use peering_pgtest::PgCluster;
use peering_server::store::postgres::{config, migrate, pool, SCHEMA_VERSION};

#[tokio::test]
async fn instances_starting_together_migrate_once() {
    let cluster = PgCluster::start();
    let url = cluster.url();
    let (a, b) = (
        pool(config(&url).unwrap(), 2).unwrap(),
        pool(config(&url).unwrap(), 2).unwrap(),
    );
    let (ra, rb) = tokio::join!(migrate(&a), migrate(&b));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(
        ra + rb,
        SCHEMA_VERSION,
        "one applied every migration, the other none"
    );
    assert!(ra == 0 || rb == 0);
    let client = a.get().await.unwrap();
    let versions: Vec<i64> = client
        .query("SELECT version FROM peering_schema ORDER BY version", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    // Every table of the SQLite schema is here.
    let tables: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for t in [
        "alert_rules",
        "alerts",
        "bgp_routes",
        "bgp_sessions",
        "connection_monitor_subscriptions",
        "latency_sketches",
        "monitor_results",
        "monitor_tests",
        "peering_service_json",
        "peering_services",
        "prefix_events",
        "prefixes",
        "provider_prefixes",
        "webhook_attempts",
        "webhook_deliveries",
    ] {
        assert!(tables.iter().any(|x| x == t), "{t} missing from {tables:?}");
    }
    // Text compares byte by byte, as in SQLite, whatever the cluster's locale.
    let non_c: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public'
             AND data_type = 'text' AND table_name <> 'peering_schema' AND collation_name IS DISTINCT FROM 'C'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(non_c, 0);
    // Started again: nothing to do.
    assert_eq!(migrate(&a).await.unwrap(), 0);
    drop(cluster);
}

#[tokio::test]
async fn a_newer_schema_is_refused_and_left_as_it_is() {
    let cluster = PgCluster::start();
    let p = pool(config(&cluster.url()).unwrap(), 1).unwrap();
    migrate(&p).await.unwrap();
    let client = p.get().await.unwrap();
    client
        .execute(
            "INSERT INTO peering_schema (version) VALUES ($1)",
            &[&(SCHEMA_VERSION + 1)],
        )
        .await
        .unwrap();
    drop(client);
    let e = migrate(&p).await.unwrap_err();
    assert!(e.contains("written by a newer peering-server"), "{e}");
    let client = p.get().await.unwrap();
    let n: i64 = client
        .query_one("SELECT count(*) FROM peering_schema", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, SCHEMA_VERSION + 1);
    assert!(cluster.dir().exists());
}

/// What the API answers about the data of the copy test (with ETags), in every api-version
/// that shows something different.
async fn every_answer(app: &crate::helpers::TestApp) -> Vec<(serde_json::Value, Option<String>)> {
    use crate::helpers::with_version;
    let mut urls = Vec::new();
    for v in ["2022-10-01", "2025-05-01"] {
        for u in [
            app.service_url("rg", "c"),
            app.sub_url("peeringServices"),
            format!("{}&$expand=events", app.prefix_url("rg", "c", "p")),
            app.url("rg", "c", "/connectionMonitorTests/t"),
            app.url("rg", "c", "/alertRules"),
            app.sub_url("peeringServicePrefixSummaries"),
        ] {
            urls.push(with_version(&u, v));
        }
    }
    urls.push(app.sub_url("peeringServiceAlerts"));
    urls.push(app.sub_url("alertWebhookDeliveries"));
    let mut out = Vec::new();
    for u in urls {
        let res = app.get(&u).await;
        assert_eq!(res.status().as_u16(), 200, "{u}");
        let etag = res
            .headers()
            .get("etag")
            .map(|e| e.to_str().unwrap().to_owned());
        out.push((res.json().await.unwrap(), etag));
    }
    out
}

/// Every table's rows in the SQLite file.
fn sqlite_counts(db: &std::path::Path) -> Vec<(String, u64)> {
    let c = rusqlite::Connection::open(db).unwrap();
    peering_server::store::postgres::copy::TABLES
        .iter()
        .map(|t| {
            let n: i64 = c
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            (t.to_string(), n as u64)
        })
        .collect()
}

#[tokio::test]
async fn a_sqlite_database_is_copied_exactly_and_a_copy_again_changes_nothing() {
    use crate::helpers::*;
    use peering_server::store::postgres::copy::copy_from_sqlite;
    use serde_json::json;
    // Data of every kind through the API on SQLite.
    // A webhook nobody sends to (no sender runs): each alert change leaves a delivery.
    let dir = tempfile::tempdir().unwrap();
    let store = peering_server::open_sqlite(&dir.path().join("test.db"), 2)
        .unwrap()
        .with_webhooks(vec!["http://127.0.0.1:9/hook".into()]);
    let state = std::sync::Arc::new(peering_server::AppState {
        store: std::sync::Arc::new(store),
        tokens: tokens(),
        settings: Default::default(),
    });
    let app = spawn_state(dir, state).await;
    let res = app
        .send(
            reqwest::Method::POST,
            &app.sub_url("initializeConnectionMonitor"),
            &[],
            None,
        )
        .await;
    expect_status(res, 200);
    app.create_connection("rg", "c").await;
    app.create_connection("Other-RG", "d").await;
    app.create_prefix("rg", "c", "p", "8.8.8.0/24").await;
    app.create_monitor_test("rg", "c", "t").await;
    expect_status(
        app.put_json(
            &app.url("rg", "c", "/alertRules/failed"),
            &json!({"properties": {"kind": "PrefixFailed"}}),
        )
        .await,
        201,
    );
    app.ingest(
        "ingestRouteObservations",
        json!([route_observation(
            "Seattle",
            "r1",
            "10.0.0.1",
            "2026-11-30T10:00:00Z",
            true
        )]),
    )
    .await;
    app.ingest(
        "ingestProviderPrefixKeys",
        json!([{"provider": "Equinix MAPS", "prefix": "8.8.8.0/24",
        "prefixKey": "6a7f0d42-e49c-4eea-a930-280610671c3f"}]),
    )
    .await;
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    app.ingest(
        "ingestMonitorTestResults",
        json!([{"resourceGroup": "rg", "peeringService": "c", "test": "t",
        "timestamp": now, "success": false, "hops": ["10.0.0.1"], "rttMs": 12.5}]),
    )
    .await;
    app.ingest(
        "ingestLatencySamples",
        json!([{"prefix": "8.8.8.0/24", "rttMs": 21.5, "source": "a", "timestamp": now}]),
    )
    .await;
    let dir = app.stop().await;
    let db = dir.path().join("test.db");
    // An attempt at that delivery, as the sender would record it.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at, status, error)
             SELECT id, 1, created_at, NULL, 'connection refused' FROM webhook_deliveries LIMIT 1",
            [],
        )
        .unwrap();
    let counts = sqlite_counts(&db);
    let before = {
        let lite = spawn_store(peering_server::open_sqlite(&db, 2).unwrap()).await;
        let answers = every_answer(&lite).await;
        drop(lite.stop().await);
        answers
    };
    for t in [
        "peering_services",
        "peering_service_json",
        "prefixes",
        "prefix_events",
        "monitor_tests",
        "monitor_results",
        "bgp_sessions",
        "bgp_routes",
        "provider_prefixes",
        "latency_sketches",
        "alert_rules",
        "alerts",
        "connection_monitor_subscriptions",
        "webhook_deliveries",
        "webhook_attempts",
    ] {
        assert!(
            counts.iter().any(|(n, c)| n == t && *c > 0),
            "{t} is empty: {counts:?}"
        );
    }

    let cluster = PgCluster::start();
    let p = pool(config(&cluster.url()).unwrap(), 2).unwrap();
    let first = copy_from_sqlite(&db, &p).await.unwrap();
    let copied: Vec<(String, u64)> = first.iter().map(|t| (t.table.to_owned(), t.rows)).collect();
    assert_eq!(copied, counts);
    // Served from PostgreSQL, the API answers exactly as it did from the file.
    let served = spawn_store(
        peering_server::open_postgres(&cluster.url(), 2)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(every_answer(&served).await, before);
    drop(served.stop().await);
    let client = p.get().await.unwrap();
    let in_pg: i64 = client
        .query_one("SELECT count(*) FROM prefix_events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        Some(in_pg as u64),
        counts
            .iter()
            .find(|(t, _)| t == "prefix_events")
            .map(|c| c.1)
    );
    // Values of every type came across as they were: booleans, reals, blobs, NULLs.
    let lite = rusqlite::Connection::open(&db).unwrap();
    let (ok, rtt, hops): (bool, f64, String) = lite
        .query_row(
            "SELECT success, rtt_ms, hops FROM monitor_results",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let row = client
        .query_one("SELECT success, rtt_ms, hops FROM monitor_results", &[])
        .await
        .unwrap();
    assert_eq!(
        (
            row.get::<_, bool>(0),
            row.get::<_, f64>(1),
            row.get::<_, String>(2)
        ),
        (ok, rtt, hops)
    );
    let sketches: Vec<Vec<u8>> = lite
        .prepare("SELECT sketch FROM latency_sketches ORDER BY tier")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let in_pg: Vec<Vec<u8>> = client
        .query("SELECT sketch FROM latency_sketches ORDER BY tier", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(in_pg, sketches);
    let status: Option<i32> = client
        .query_one("SELECT status FROM webhook_attempts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, None);
    // What the audit columns said (who created what) came along.
    let by: String = client
        .query_one(
            "SELECT created_by FROM peering_services WHERE name_key = 'c'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!by.is_empty());
    // The target changed meanwhile: a copy makes it the source again, checksums equal.
    client
        .execute("DELETE FROM peering_services WHERE name_key = 'd'", &[])
        .await
        .unwrap();
    drop(client);
    let again = copy_from_sqlite(&db, &p).await.unwrap();
    assert_eq!(again, first, "the same rows, the same checksums");
    // An alert opened after the copy gets an id after the copied ones.
    let client = p.get().await.unwrap();
    let max: i64 = client
        .query_one("SELECT MAX(id) FROM alerts", &[])
        .await
        .unwrap()
        .get(0);
    let seq: i64 = client
        .query_one(
            "SELECT nextval(pg_get_serial_sequence('alerts', 'id'))",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        seq > max,
        "the sequence continues after the copied ids: {seq} > {max}"
    );
    drop(client);

    // The command does the same, reads the URL from PEERING_DB, and never prints a password.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_peering-server"))
        .args(["migrate", "--from"])
        .arg(&db)
        .env("PEERING_DB", cluster.url())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("counts and checksums match"), "{text}");
    assert!(text.contains(&first[0].checksum), "{text}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_peering-server"))
        .args(["migrate", "--from"])
        .arg(&db)
        .args(["--to", "postgres://u:s3cret@127.0.0.1:1/peering"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("cannot connect to PostgreSQL") && !err.contains("s3cret"),
        "{err}"
    );
}
