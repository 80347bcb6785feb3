//! Telemetry benchmark (not a test; it prints figures and asserts nothing): the server in this
//! process on loopback with a fresh database (`synchronous=FULL`, as it runs), driven over
//! HTTP/1.1 by one kept-alive connection per stage:
//!
//! * latency ingestion: batches of 10,000 samples (100 prefixes × 100 samples, each batch one
//!   minute of samples), samples per second;
//! * route observation ingestion: batches of 1,000 observations (100 customer prefixes stored
//!   under 20 connections, 10 sessions each), observations per second, each batch
//!   re-evaluating the prefixes and recording events;
//! * the 30-day series of one prefix holding 30 days of one-minute data (43,200 minutes, three
//!   samples each): the time per query, beside a GET of one connection in the same run as the
//!   baseline of a request's own cost.
//!
//! All of it on SQLite, then again on PostgreSQL (a throw-away cluster on this machine with
//! `fsync` on, as SQLite's `FULL`; the server's pool of 8 connections), with each figure's
//! ratio to SQLite's of the same run.
//!
//!     cargo run -p peering-server --profile server --example telemetry_bench [-- --batches 50 --postgres URL]
//!
//! The client shares the machine's two cores with the server, so the figures are a lower
//! bound for the server alone.

use axum::body::Bytes;
use axum::http::{header, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use peering_server::auth::{Grant, Role, Tokens};
use peering_server::{app, AppState, Settings};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SUB: &str = "00000000-0000-0000-0000-00000000beef";
const API: &str = "api-version=2025-05-01";
const CONTRIBUTOR: &str = "bench-contributor-0123456789";
const COLLECTOR: &str = "bench-collector-0123456789ab";

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

struct Client {
    addr: std::net::SocketAddr,
    sender: Sender,
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> Client {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Client { addr, sender }
    }

    async fn send(
        &mut self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> (u16, Bytes) {
        self.sender.ready().await.expect("ready");
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.addr.to_string())
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let req = req
            .body(Full::new(body.unwrap_or_default()))
            .expect("request");
        let res = self.sender.send_request(req).await.expect("response");
        let status = res.status().as_u16();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        (status, bytes)
    }

    async fn ok(&mut self, token: &str, method: Method, path: &str, body: Option<Bytes>) -> Bytes {
        let (status, bytes) = self.send(token, method.clone(), path, body).await;
        if status >= 300 {
            eprintln!(
                "{method} {path}: {status} {}",
                String::from_utf8_lossy(&bytes)
            );
            std::process::exit(1);
        }
        bytes
    }
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .expect("time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

fn sub_path(op: &str) -> String {
    format!("/subscriptions/{SUB}/providers/Microsoft.Peering/{op}?{API}")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let batches: usize = args
        .iter()
        .position(|a| a == "--batches")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = peering_server::open_sqlite(&dir.path().join("bench.db"), 2).expect("database");
    println!("SQLite:");
    let lite = bench(store, batches).await;
    // `--postgres URL`: an existing (empty) database instead of a throw-away cluster.
    let given = args
        .iter()
        .position(|a| a == "--postgres")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let cluster = given
        .is_none()
        .then(|| peering_pgtest::PgCluster::start_durable(100));
    let url = given.unwrap_or_else(|| cluster.as_ref().expect("started").url());
    let store = peering_server::open_postgres(&url, 8)
        .await
        .expect("database");
    println!("PostgreSQL:");
    let pg = bench(store, batches).await;
    println!(
        "PostgreSQL / SQLite: latency ingestion {:.2} x, route observations {:.2} x, 30-day series p50 {:.2} x (time)",
        pg.0 / lite.0,
        pg.1 / lite.1,
        pg.2 / lite.2
    );
    drop(cluster);
}

/// Every stage on `store`; answers samples/s, observations/s and the 30-day series' p50 (ms).
async fn bench(store: peering_server::store::sql::SqlStore, batches: usize) -> (f64, f64, f64) {
    let tokens = Tokens::from_grants(vec![
        Grant::new(CONTRIBUTOR, vec![SUB.into()], Role::Contributor),
        Grant::new(COLLECTOR, vec![SUB.into()], Role::Collector),
    ]);
    let state = Arc::new(AppState {
        store: Arc::new(store),
        tokens,
        settings: Settings::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let settings = state.settings.clone();
    tokio::spawn(async move {
        let _ =
            peering_server::serve::serve(listener, app(state), &settings, std::future::pending())
                .await;
    });
    let mut c = Client::connect(addr).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    // 1. Latency samples: each batch one minute of 100 prefixes, the newest minute last.
    let bodies: Vec<Bytes> = (0..batches)
        .map(|b| {
            let minute = now - 60 * (batches - b) as i64;
            let items: Vec<Value> = (0..10_000)
                .map(|i| {
                    json!({"prefix": format!("20.{}.{}.0/24", 10 + i % 100 / 50, i % 50), "timestamp": rfc3339(minute + (i % 60) as i64),
                           "rttMs": 5.0 + (i % 97) as f64 * 0.7, "source": "bench"})
                })
                .collect();
            Bytes::from(json!({ "value": items }).to_string())
        })
        .collect();
    let mb = bodies.iter().map(Bytes::len).sum::<usize>() as f64 / 1e6;
    let started = Instant::now();
    for body in &bodies {
        c.ok(
            COLLECTOR,
            Method::POST,
            &sub_path("ingestLatencySamples"),
            Some(body.clone()),
        )
        .await;
    }
    let secs = started.elapsed().as_secs_f64();
    let latency_rate = (batches * 10_000) as f64 / secs;
    println!(
        "latency ingestion: {} samples in {batches} batches of 10,000 ({mb:.1} MB of JSON) in {secs:.2} s: {:.0} samples/s",
        batches * 10_000,
        (batches * 10_000) as f64 / secs
    );

    // 2. Route observations: 20 connections with 5 prefixes each, 10 sessions of their
    // provider (5 at the primary, 5 at the backup location).
    let service = |i: usize| {
        format!("/subscriptions/{SUB}/resourceGroups/bench/providers/Microsoft.Peering/peeringServices/c{i}")
    };
    for i in 0..20 {
        let body = json!({"location": "West US 2", "properties": {"peeringServiceLocation": "Washington", "peeringServiceProvider": "equinix MAPS",
            "providerPrimaryPeeringLocation": "seattle", "providerBackupPeeringLocation": "san Jose"}});
        c.ok(
            CONTRIBUTOR,
            Method::PUT,
            &format!("{}?{API}", service(i)),
            Some(Bytes::from(body.to_string())),
        )
        .await;
        for j in 0..5 {
            let body = json!({"properties": {"prefix": format!("30.{i}.{j}.0/24")}});
            c.ok(
                CONTRIBUTOR,
                Method::PUT,
                &format!("{}/prefixes/p{j}?{API}", service(i)),
                Some(Bytes::from(body.to_string())),
            )
            .await;
        }
    }
    let route_batches = batches.min(40);
    let bodies: Vec<Bytes> = (0..route_batches)
        .map(|b| {
            let at = now - 3600 + b as i64;
            let items: Vec<Value> = (0..1_000)
                .map(|i| {
                    let (prefix, session) = (i / 10, i % 10);
                    let location = if session < 5 { "seattle" } else { "san Jose" };
                    // Every other batch withdraws from one session: the verdicts and events move.
                    let announced = !(b % 2 == 1 && session == 9);
                    json!({"provider": "equinix MAPS", "peeringLocation": location, "router": format!("r{session}"),
                           "address": format!("10.0.0.{session}"), "prefix": format!("30.{}.{}.0/24", prefix / 5, prefix % 5),
                           "originAsn": 396001, "asPath": [3356, 396001], "communities": ["8075:8007"], "announced": announced, "timestamp": rfc3339(at)})
                })
                .collect();
            Bytes::from(json!({ "value": items }).to_string())
        })
        .collect();
    let started = Instant::now();
    let mut events = 0;
    for body in &bodies {
        let report: Value = serde_json::from_slice(
            &c.ok(
                COLLECTOR,
                Method::POST,
                &sub_path("ingestRouteObservations"),
                Some(body.clone()),
            )
            .await,
        )
        .expect("report");
        events += report["events"].as_u64().unwrap_or(0);
    }
    let secs = started.elapsed().as_secs_f64();
    let route_rate = (route_batches * 1_000) as f64 / secs;
    println!(
        "route observation ingestion: {} observations in {route_batches} batches of 1,000 in {secs:.2} s: {:.0} observations/s (100 prefixes re-evaluated per batch; {events} events recorded)",
        route_batches * 1_000,
        (route_batches * 1_000) as f64 / secs
    );

    // 3. 30 days of one-minute data for one prefix, then its series.
    let minutes: Vec<i64> = (0..30 * 1440).map(|m| now - 60 * m).collect();
    let started = Instant::now();
    for chunk in minutes.chunks(3_000) {
        let items: Vec<Value> = chunk
            .iter()
            .flat_map(|&m| (0..3).map(move |k| json!({"prefix": "40.1.1.0/24", "timestamp": rfc3339(m - k * 7), "rttMs": 10.0 + ((m / 60 + k) % 40) as f64, "source": "bench"})))
            .collect();
        c.ok(
            COLLECTOR,
            Method::POST,
            &sub_path("ingestLatencySamples"),
            Some(Bytes::from(json!({ "value": items }).to_string())),
        )
        .await;
    }
    println!(
        "30 days of one-minute data for 40.1.1.0/24 (129,600 samples) stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let get_one = format!("{}?{API}", service(0));
    let mut series_30d = f64::NAN;
    for (label, path, token) in [
        ("GET one connection (baseline)", get_one, CONTRIBUTOR),
        (
            "30-day series (180 buckets of 4 h)",
            format!(
                "{}&prefix=40.1.1.0/24&window=30d",
                sub_path("peeringServicePrefixLatency")
            ),
            CONTRIBUTOR,
        ),
        (
            "7-day series (168 buckets of 1 h)",
            format!(
                "{}&prefix=40.1.1.0/24&window=7d",
                sub_path("peeringServicePrefixLatency")
            ),
            CONTRIBUTOR,
        ),
        (
            "6-hour series (360 buckets of 1 min)",
            format!(
                "{}&prefix=40.1.1.0/24&window=6h",
                sub_path("peeringServicePrefixLatency")
            ),
            CONTRIBUTOR,
        ),
    ] {
        for _ in 0..5 {
            c.ok(token, Method::GET, &path, None).await;
        }
        let mut ms = Vec::new();
        let started = Instant::now();
        while ms.len() < 200 && started.elapsed() < Duration::from_secs(10) {
            let t = Instant::now();
            let body = c.ok(token, Method::GET, &path, None).await;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(body);
        }
        ms.sort_by(f64::total_cmp);
        if label.starts_with("30-day") {
            series_30d = percentile(&ms, 0.5);
        }
        println!(
            "{label}: p50 {:.2} ms, p99 {:.2} ms over {} requests",
            percentile(&ms, 0.5),
            percentile(&ms, 0.99),
            ms.len()
        );
    }
    (latency_rate, route_rate, series_30d)
}
