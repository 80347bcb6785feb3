//! Two server instances on one PostgreSQL, as behind a load balancer: the overlap rule holds
//! across them, an ETag or a paging token of one is good on the other, and both restarted
//! lose nothing; and an instance outlives a restart of the database. The cluster is the
//! suite's (`PEERING_TEST_PG`) or one the test starts.

use crate::helpers::*;
use peering_pgtest::PgCluster;
use reqwest::Method;
use serde_json::Value;
use std::sync::Arc;

/// A database on a cluster, and the cluster when the test started it.
struct Database {
    url: String,
    _cluster: Option<PgCluster>,
}

async fn database() -> Database {
    let dir = tempfile::tempdir().unwrap();
    if postgres_admin().is_some() {
        return Database {
            url: test_database(dir.path()).await.unwrap(),
            _cluster: None,
        };
    }
    let cluster = PgCluster::start();
    Database {
        url: cluster.url(),
        _cluster: Some(cluster),
    }
}

/// An instance on `url`, as the server runs one (its own pool of connections).
async fn instance(url: &str) -> TestApp {
    spawn_store(
        peering_server::open_postgres(url, 3)
            .await
            .expect("instance opens"),
    )
    .await
}

/// The same URL on the other instance.
fn on(app: &TestApp, url: &str, from: &TestApp) -> String {
    url.replacen(&from.base, &app.base, 1)
}

#[tokio::test]
async fn overlapping_puts_spread_over_two_instances_leave_exactly_one() {
    let db = database().await;
    let (a, b) = (
        Arc::new(instance(&db.url).await),
        Arc::new(instance(&db.url).await),
    );
    // Even ones through a, odd ones through b.
    let results = race_overlapping_prefixes(&[a.clone(), b.clone()], "rg", "40.0.0.0").await;
    let statuses: Vec<u16> = results.iter().map(|r| r.1).collect();
    let winners: Vec<_> = results.iter().filter(|r| r.1 == 201).collect();
    assert_eq!(winners.len(), 1, "{statuses:?}");
    let w = winners[0].0;
    for (i, status, body) in &results {
        if *i != w {
            assert_eq!(*status, 409, "{body}");
            assert_eq!(body["error"]["code"], "PrefixOverlaps", "{body}");
        }
    }
    // Both instances see the one winner, and only it.
    for app in [&a, &b] {
        let mut stored = Vec::new();
        for i in 0..50 {
            let (items, _) = app
                .list_all(&app.url("rg", &format!("conn-{i}"), "/prefixes"))
                .await;
            stored.extend(items.into_iter().map(|p| p["name"].clone()));
        }
        assert_eq!(stored, [Value::from(format!("pfx-{w}"))]);
    }
}

#[tokio::test]
async fn etags_and_paging_tokens_hold_across_instances_and_a_restart_loses_nothing() {
    let db = database().await;
    let (a, b) = (instance(&db.url).await, instance(&db.url).await);
    for i in 0..7 {
        a.create_connection("rg", &format!("c{i}")).await;
    }
    a.create_prefix("rg", "c0", "p", "8.8.8.0/24").await;

    // b reads what a wrote, with the same ETag.
    let url = a.service_url("rg", "c0");
    let res = expect_status(a.get(&url).await, 200);
    let tag_a = res.headers()["etag"].to_str().unwrap().to_owned();
    let res = expect_status(b.get(&on(&b, &url, &a)).await, 200);
    assert_eq!(res.headers()["etag"].to_str().unwrap(), tag_a);

    // A write on b makes a's ETag stale on a.
    let mut body = connection_body();
    body["tags"] = serde_json::json!({"changed": "on b"});
    let res = b
        .send(
            Method::PUT,
            &on(&b, &url, &a),
            &[("If-Match", &tag_a)],
            Some(&body),
        )
        .await;
    let res = expect_status(res, 200);
    let tag_b = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(tag_a, tag_b);
    let stale = a
        .send(
            Method::PUT,
            &url,
            &[("If-Match", &tag_a)],
            Some(&connection_body()),
        )
        .await;
    let stale: Value = expect_status(stale, 412).json().await.unwrap();
    assert_eq!(stale["error"]["code"], "PreconditionFailed", "{stale}");
    let current = a.get_json(&url).await;
    assert_eq!(
        current["tags"]["changed"], "on b",
        "the refused write changed nothing"
    );

    // A page's token from a continues on b.
    let first = a
        .get_json(&format!("{}&$top=3", a.sub_url("peeringServices")))
        .await;
    let next = first["nextLink"].as_str().expect("a next page").to_owned();
    let (rest, _) = b.list_all(&on(&b, &next, &a)).await;
    let names: Vec<&str> = first["value"]
        .as_array()
        .unwrap()
        .iter()
        .chain(&rest)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c0", "c1", "c2", "c3", "c4", "c5", "c6"]);

    // Both stopped and started again: everything is there, from either.
    let before = a.get_json(&a.prefix_url("rg", "c0", "p")).await;
    drop(a.stop().await);
    drop(b.stop().await);
    let (a, b) = (instance(&db.url).await, instance(&db.url).await);
    for app in [&a, &b] {
        let (all, _) = app.list_all(&app.sub_url("peeringServices")).await;
        assert_eq!(all.len(), 7);
        assert_eq!(app.get_json(&app.prefix_url("rg", "c0", "p")).await, before);
        assert_eq!(
            app.get_json(&app.service_url("rg", "c0")).await["tags"]["changed"],
            "on b"
        );
    }
}

/// The database restarts under a running instance (every connection of its pool breaks): no
/// request gets a 500, the ones that meet a broken connection get 503 with `Retry-After`, and
/// each connection is made again, so the instance serves reads and writes without a restart.
#[tokio::test]
async fn an_instance_reconnects_after_the_database_restarts() {
    let cluster = PgCluster::start();
    let app = instance(&cluster.url()).await;
    app.create_connection("rg", "before").await;
    cluster.restart();
    let url = app.service_url("rg", "before");
    let (mut ok, mut unavailable) = (0, 0);
    // The pool has 3 connections: after at most 3 refusals every one is new.
    for _ in 0..10 {
        let res = app.get(&url).await;
        match res.status().as_u16() {
            200 => ok += 1,
            503 => {
                assert!(res.headers().contains_key("retry-after"));
                let body: Value = res.json().await.unwrap();
                assert_eq!(body["error"]["code"], "DatabaseUnavailable", "{body}");
                unavailable += 1;
            }
            other => panic!("{other}: {}", res.text().await.unwrap()),
        }
    }
    assert!(
        unavailable <= 3 && ok >= 7,
        "{ok} × 200, {unavailable} × 503"
    );
    app.create_connection("rg", "after").await;
    let (all, _) = app.list_all(&app.sub_url("peeringServices")).await;
    assert_eq!(all.len(), 2);
}

/// Writes that wait for another instance's lock give up with 503 (nothing written): the
/// first after the lock timeout (10 s) at the database, the ones queued behind it in this
/// instance after as long for their turn. Meanwhile they hold no connection thread, so reads
/// go on (the pool has 3 threads and 4 writes wait).
#[tokio::test]
async fn writes_waiting_too_long_for_another_instances_lock_are_503_and_reads_go_on() {
    let db = database().await;
    let app = Arc::new(instance(&db.url).await);
    app.create_connection("rg", "c").await;
    // Another instance's write, stuck inside its transaction holding the lock.
    let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client.batch_execute("BEGIN").await.unwrap();
    client
        .execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[&peering_server::store::sql::lock_of(SUB)],
        )
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let writes: Vec<_> = (0..4)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let res = app
                    .put_prefix("rg", "c", &format!("p{i}"), &format!("8.8.{i}.0/24"))
                    .await;
                let status = res.status().as_u16();
                let retry = res.headers().contains_key("retry-after");
                let body: Value = res.json().await.unwrap();
                (status, retry, body, started.elapsed())
            })
        })
        .collect();
    // Once a write waits at the database, a read still answers at once.
    loop {
        let waiting: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(9),
            "no write waits"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let read = std::time::Instant::now();
    expect_status(app.get(&app.service_url("rg", "c")).await, 200);
    assert!(
        read.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        read.elapsed()
    );
    let mut slowest = std::time::Duration::ZERO;
    for w in writes {
        let (status, retry, body, took) = w.await.unwrap();
        assert_eq!(status, 503, "{body}");
        assert!(retry, "{body}");
        let code = body["error"]["code"].as_str().unwrap().to_owned();
        assert!(
            code == "DatabaseUnavailable" || code == "ServerBusy",
            "{body}"
        );
        slowest = slowest.max(took);
    }
    assert!(slowest >= std::time::Duration::from_secs(9), "{slowest:?}");
    client.batch_execute("ROLLBACK").await.unwrap();
    // Nothing was written, and the same write now succeeds.
    let (items, _) = app.list_all(&app.url("rg", "c", "/prefixes")).await;
    assert!(items.is_empty(), "{items:?}");
    app.create_prefix("rg", "c", "p0", "8.8.0.0/24").await;
}

/// The connection breaks right after a write's COMMIT reached the database (a proxy in
/// between forwards the COMMIT and then cuts both ways): the change was made, so the answer
/// must not say "nothing was written" (a 503 a client or proxy retries), but 500
/// CommitOutcomeUnknown.
#[tokio::test]
async fn a_connection_lost_at_commit_is_an_unknown_outcome_not_a_retryable_503() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = database().await;
    let target: std::net::SocketAddr = {
        let c = peering_server::store::postgres::config(&db.url)
            .unwrap()
            .config;
        let host = match &c.get_hosts()[0] {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            other => panic!("{other:?}"),
        };
        format!("{host}:{}", c.get_ports()[0]).parse().unwrap()
    };
    let armed = Arc::new(AtomicBool::new(false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = listener.local_addr().unwrap();
    let arm = armed.clone();
    tokio::spawn(async move {
        loop {
            let (mut down, _) = listener.accept().await.unwrap();
            let mut up = tokio::net::TcpStream::connect(target).await.unwrap();
            let armed = arm.clone();
            tokio::spawn(async move {
                let (mut dr, mut dw) = down.split();
                let (mut ur, mut uw) = up.split();
                let cut = AtomicBool::new(false);
                let to_server = async {
                    let mut buf = vec![0u8; 65536];
                    loop {
                        let n = dr.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        // A simple query "COMMIT" while armed: delivered, but its answer
                        // never comes back.
                        if armed.load(Ordering::SeqCst)
                            && buf[..n].windows(7).any(|w| w == b"COMMIT\0")
                        {
                            armed.store(false, Ordering::SeqCst);
                            cut.store(true, Ordering::SeqCst);
                        }
                        uw.write_all(&buf[..n]).await.unwrap();
                        if cut.load(Ordering::SeqCst) {
                            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                            return;
                        }
                    }
                };
                let to_client = async {
                    let mut buf = vec![0u8; 65536];
                    loop {
                        let n = ur.read(&mut buf).await.unwrap_or(0);
                        if n == 0 || cut.load(Ordering::SeqCst) {
                            return;
                        }
                        if dw.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                };
                tokio::select! {
                    () = to_server => {}
                    () = to_client => {}
                }
            });
        }
    });
    let via = db.url.replacen(&target.to_string(), &proxy.to_string(), 1);
    assert_ne!(via, db.url);
    let app = instance(&via).await;
    app.create_connection("rg", "c").await;
    armed.store(true, Ordering::SeqCst);
    let res = app.put_prefix("rg", "c", "p", "8.8.8.0/24").await;
    assert_eq!(res.status().as_u16(), 500);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "CommitOutcomeUnknown", "{body}");
    // It was made: another instance, straight to the database, reads it.
    let direct = instance(&db.url).await;
    let p = direct.get_json(&direct.prefix_url("rg", "c", "p")).await;
    assert_eq!(p["properties"]["prefix"], "8.8.8.0/24");
}

/// `sslmode=require` makes every connection TLS, verified: against the URL's `sslrootcert`
/// it connects (and the database sees TLS sessions); against the web's roots a private CA's
/// certificate is refused, saying why, and nothing is served.
#[tokio::test]
async fn tls_is_used_and_verified_when_the_url_asks_for_it() {
    let named = |mut p: rcgen::CertificateParams, name: &str| {
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        p
    };
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = named(
        rcgen::CertificateParams::new(Vec::<String>::new()).unwrap(),
        "peering test CA",
    );
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = named(
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap(),
        "127.0.0.1",
    )
    .signed_by(&key, &ca, &ca_key)
    .unwrap();
    let cluster = PgCluster::start_tls(&cert.pem(), &key.serialize_pem());
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        cluster.url(),
        ca_file.display()
    );
    // On failure, the database's side of the handshake too.
    let store = peering_server::open_postgres(&url, 3)
        .await
        .unwrap_or_else(|e| {
            let log = std::fs::read_to_string(cluster.dir().join("server.log")).unwrap_or_default();
            panic!("{e}\n{log}")
        });
    let app = spawn_store(store).await;
    app.create_connection("rg", "c").await;
    expect_status(app.get(&app.service_url("rg", "c")).await, 200);
    let (client, conn) = tokio_postgres::connect(&cluster.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let tls_sessions: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE s.ssl AND a.pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        tls_sessions >= 3,
        "the instance's pool is on TLS: {tls_sessions}"
    );
    let refused = peering_server::open_postgres(&format!("{}?sslmode=require", cluster.url()), 1)
        .await
        .err()
        .expect("a private CA is not among the web's roots");
    assert!(refused.contains("certificate"), "{refused}");
}
