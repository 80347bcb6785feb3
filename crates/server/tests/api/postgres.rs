//! The PostgreSQL schema against a real server started by the test: instances starting
//! together migrate once (the advisory lock), and a newer schema is refused untouched.

use crate::pg_cluster::PgCluster;
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
