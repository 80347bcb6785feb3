use crate::helpers::*;
use peering_server::auth::{Grant, Role, Tokens};
use peering_server::db::Db;
use peering_server::{app, AppState, Settings};
use serde_json::Value;
use std::sync::Arc;

async fn serve(path: &std::path::Path) -> (String, tokio::task::JoinHandle<()>) {
    let db = Db::open(path, 2).expect("database opens");
    let tokens = Tokens::from_grants(vec![Grant {
        token: CONTRIBUTOR.into(),
        subscriptions: vec![SUB.into()],
        role: Role::Contributor,
    }]);
    let state = Arc::new(AppState {
        db,
        tokens,
        settings: Settings::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
    (format!("http://{addr}"), task)
}

#[tokio::test]
async fn everything_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("peering.db");
    let client = reqwest::Client::new();
    let (base, task) = serve(&path).await;
    let ps = format!("{base}/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/c");
    let res = client
        .put(format!("{ps}?{API}"))
        .bearer_auth(CONTRIBUTOR)
        .json(&connection_body())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let res = client
        .put(format!("{ps}/prefixes/p?{API}"))
        .bearer_auth(CONTRIBUTOR)
        .json(&serde_json::json!({"properties": {"prefix": "8.8.8.0/24"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let res = client
        .put(format!("{ps}/connectionMonitorTests/t?{API}"))
        .bearer_auth(CONTRIBUTOR)
        .json(&monitor_test_body())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let before: Vec<Value> = read_all(&client, &ps).await;
    task.abort();
    let _ = task.await;

    // A new server process on the same file (the old connections are dropped with the task).
    let (base2, _task) = serve(&path).await;
    let ps2 = ps.replace(&base, &base2);
    let after: Vec<Value> = read_all(&client, &ps2).await;
    assert_eq!(before, after);
    assert_eq!(after[1]["properties"]["prefix"], "8.8.8.0/24");
    assert_eq!(after[2]["properties"]["destinationPort"], 443);
}

async fn read_all(client: &reqwest::Client, ps: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for tail in ["", "/prefixes/p", "/connectionMonitorTests/t"] {
        let res = client
            .get(format!("{ps}{tail}?{API}&$expand=events"))
            .bearer_auth(CONTRIBUTOR)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{tail}");
        out.push(res.json().await.unwrap());
    }
    out
}

#[test]
fn the_database_is_wal_and_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    drop(Db::open(&path, 1).unwrap());
    let conn = rusqlite_open(&path);
    let (mode, version) = conn;
    assert_eq!(mode, "wal");
    assert_eq!(version, 2);
    // Opening again runs nothing twice.
    drop(Db::open(&path, 1).unwrap());
    assert_eq!(rusqlite_open(&path).1, 2);
}

fn rusqlite_open(path: &std::path::Path) -> (String, i64) {
    let c = peering_server::db::inspect(path).unwrap();
    (c.journal_mode, c.user_version)
}
