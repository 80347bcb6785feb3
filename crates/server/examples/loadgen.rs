//! Load benchmark of the API (not a test; it prints figures and asserts nothing).
//!
//! First the ceiling of this machine: a bare axum handler answering a GET with a fixed body as
//! large as a connection, served and loaded the same way. Then the server in this process on
//! loopback with a fresh database (commits with `synchronous=FULL`, as it runs): it stores
//! 10,000 connections through the API, then, at a concurrency of 32, measures for a few seconds
//! each: GET one connection, list 100 connections, PUT (replace) a connection. Last, the same
//! creates and replacements on a database committing with `synchronous=NORMAL`, so the cost of
//! durability is known. Then the same three on PostgreSQL: a throw-away cluster on this machine
//! (Debian's, `fsync` on as SQLite's `FULL`), the server on a pool of 8 connections as it runs,
//! each figure beside SQLite's of the same run. Prints requests per second and the 50th/99th
//! percentile latency of each, and GET one as a share of the ceiling.
//!
//!     cargo run -p peering-server --profile server --example loadgen [-- --seconds 5 --connections 10000 --concurrency 32 --only get|list|put --sqlite-only 1]
//!
//! The load generator shares the machine (and its cores) with the server, so the figures are a
//! lower bound for the server alone.

use axum::body::Bytes;
use axum::http::{header, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use peering_server::auth::Tokens;
use peering_server::{app, AppState, Settings};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SUB: &str = "00000000-0000-0000-0000-00000000beef";
const API: &str = "api-version=2022-10-01";

struct Config {
    seconds: u64,
    connections: usize,
    concurrency: usize,
    only: Option<String>,
    sqlite_only: bool,
}

fn config() -> Config {
    let mut c = Config {
        seconds: 5,
        connections: 10_000,
        concurrency: 32,
        only: None,
        sqlite_only: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).and_then(|v| v.parse::<u64>().ok());
        match (pair[0].as_str(), value) {
            ("--seconds", Some(v)) => c.seconds = v.max(1),
            ("--connections", Some(v)) => c.connections = (v as usize).max(100),
            ("--concurrency", Some(v)) => c.concurrency = (v as usize).max(1),
            ("--sqlite-only", Some(v)) => c.sqlite_only = v != 0,
            ("--only", _)
                if matches!(
                    pair.get(1).map(String::as_str),
                    Some("get" | "list" | "put")
                ) =>
            {
                c.only = pair.get(1).cloned()
            }
            _ => {
                eprintln!("usage: loadgen [--seconds N] [--connections N] [--concurrency N] [--only get|list|put] [--sqlite-only 1]");
                std::process::exit(2);
            }
        }
    }
    c
}

fn name(i: usize) -> (String, String) {
    (format!("rg-{}", i % 10), format!("conn-{i:06}"))
}

fn body() -> String {
    serde_json::json!({
        "location": "West US 2",
        "tags": {"bench": "true"},
        "properties": {
            "peeringServiceLocation": "Washington",
            "peeringServiceProvider": "equinix MAPS",
            "providerPrimaryPeeringLocation": "seattle",
            "providerBackupPeeringLocation": "san Jose"
        }
    })
    .to_string()
}

/// A tiny per-worker random sequence (no dependency needed for picking names).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

/// Where the load goes: one HTTP/1.1 connection per worker, kept alive, driven with hyper's
/// client connection directly (a full-featured client would spend more of the shared cores).
struct Target {
    addr: std::net::SocketAddr,
    authorization: String,
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

#[derive(Clone, Copy)]
enum Kind {
    Get,
    List,
    Put,
    /// The bare handler of the ceiling.
    Bare,
}

impl Target {
    async fn connect(&self) -> Result<Sender, String> {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// One request; `Ok(status)` once the whole body is read.
    async fn send(
        &self,
        sender: &mut Sender,
        method: Method,
        path: String,
        body: Option<&Bytes>,
    ) -> Result<u16, String> {
        sender.ready().await.map_err(|e| e.to_string())?;
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.addr.to_string())
            .header(header::AUTHORIZATION, &self.authorization);
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let req = req
            .body(Full::new(body.cloned().unwrap_or_default()))
            .map_err(|e| e.to_string())?;
        let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let bytes = res
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        if status >= 300 {
            return Err(format!(
                "status {status}: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        Ok(status)
    }

    async fn one(
        &self,
        sender: &mut Sender,
        kind: Kind,
        rng: &mut Lcg,
        n: usize,
        body: &Bytes,
    ) -> Result<(), String> {
        let (rg, conn) = name(rng.below(n));
        let resource = format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Peering/peeringServices/{conn}?{API}");
        match kind {
            Kind::Get => self.send(sender, Method::GET, resource, None).await?,
            Kind::List => {
                let token = peering_server::encode_token(&(rg, conn));
                let list = format!("/subscriptions/{SUB}/providers/Microsoft.Peering/peeringServices?{API}&$skipToken={token}");
                self.send(sender, Method::GET, list, None).await?
            }
            Kind::Put => self.send(sender, Method::PUT, resource, Some(body)).await?,
            Kind::Bare => {
                self.send(sender, Method::GET, "/bare".to_owned(), None)
                    .await?
            }
        };
        Ok(())
    }
}

struct Figures {
    requests: usize,
    elapsed: Duration,
    latencies_us: Vec<u32>,
}

impl Figures {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        f64::from(self.latencies_us[i]) / 1000.0
    }

    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn print(&self, label: &str) {
        println!(
            "{label:<28} {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} requests in {:.1} s)",
            self.requests as f64 / self.elapsed.as_secs_f64(),
            self.percentile(0.50),
            self.percentile(0.99),
            self.requests,
            self.elapsed.as_secs_f64()
        );
    }
}

async fn measure(target: Arc<Target>, kind: Kind, cfg: &Config) -> Result<Figures, String> {
    let deadline = Instant::now() + Duration::from_secs(cfg.seconds);
    let started = Instant::now();
    let n = cfg.connections;
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..cfg.concurrency {
        let target = target.clone();
        workers.spawn(async move {
            let mut rng = Lcg(w as u64 * 7919 + 1);
            let body = Bytes::from(body());
            let mut sender = target.connect().await?;
            let mut lat = Vec::with_capacity(64 * 1024);
            while Instant::now() < deadline {
                let t = Instant::now();
                target.one(&mut sender, kind, &mut rng, n, &body).await?;
                lat.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
            }
            Ok::<_, String>(lat)
        });
    }
    let mut latencies_us = Vec::new();
    while let Some(r) = workers.join_next().await {
        latencies_us.extend(r.map_err(|e| e.to_string())??);
    }
    let elapsed = started.elapsed();
    latencies_us.sort_unstable();
    Ok(Figures {
        requests: latencies_us.len(),
        elapsed,
        latencies_us,
    })
}

async fn fill(target: Arc<Target>, cfg: &Config) -> Result<Duration, String> {
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let total = cfg.connections;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..cfg.concurrency {
        let target = target.clone();
        let next = next.clone();
        workers.spawn(async move {
            let body = Bytes::from(body());
            let mut sender = target.connect().await?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, String>(());
                }
                let (rg, conn) = name(i);
                let path = format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Peering/peeringServices/{conn}?{API}");
                let status = target.send(&mut sender, Method::PUT, path, Some(&body)).await?;
                if status != 201 {
                    return Err(format!("creating {conn}: status {status}"));
                }
            }
        });
    }
    while let Some(r) = workers.join_next().await {
        r.map_err(|e| e.to_string())??;
    }
    Ok(started.elapsed())
}

/// A server on loopback; its address.
async fn start(router: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let settings = Settings::default();
        peering_server::serve::serve(listener, router, &settings, std::future::pending())
            .await
            .expect("serve")
    });
    addr
}

/// The API on a fresh database committing with `synchronous`.
async fn start_api(dir: &std::path::Path, synchronous: &'static str) -> Arc<Target> {
    let store = peering_server::open_sqlite_with(
        &dir.join(format!("bench-{synchronous}.db")),
        4,
        1024,
        synchronous,
    )
    .expect("the database opens");
    serve_store(store).await
}

/// The API on a fresh PostgreSQL database, with the server's default pool of 8 connections.
async fn start_pg(url: &str) -> Arc<Target> {
    let store = peering_server::open_postgres(url, 8)
        .await
        .expect("the database opens");
    serve_store(store).await
}

async fn serve_store(store: peering_server::store::sql::SqlStore) -> Arc<Target> {
    let (tokens, token) = Tokens::generate();
    let state = Arc::new(AppState {
        store: Arc::new(store),
        tokens,
        settings: Settings::default(),
    });
    Arc::new(Target {
        addr: start(app(state)).await,
        authorization: format!("Bearer {token}"),
    })
}

fn exit_on<T>(what: &str, r: Result<T, String>) -> T {
    r.unwrap_or_else(|e| {
        eprintln!("loadgen: {what}: {e}");
        std::process::exit(1);
    })
}

fn print_fill(label: &str, cfg: &Config, took: Duration) -> f64 {
    let rate = cfg.connections as f64 / took.as_secs_f64();
    println!(
        "{label:<28} {rate:>9.0} req/s   ({} connections in {:.1} s)",
        cfg.connections,
        took.as_secs_f64()
    );
    rate
}

#[tokio::main]
async fn main() {
    let cfg = config();
    let dir = tempfile::tempdir().expect("a temporary directory");
    println!(
        "peering-server load benchmark: {} connections, concurrency {}, {} s per measurement, {} cores",
        cfg.connections,
        cfg.concurrency,
        cfg.seconds,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );

    // The ceiling: what this machine serves when the handler does nothing.
    let bare_body = body().repeat(2);
    let bare = axum::Router::new().route(
        "/bare",
        axum::routing::get(move || {
            let b = bare_body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], b) }
        }),
    );
    let ceiling = Arc::new(Target {
        addr: start(bare).await,
        authorization: String::new(),
    });
    let ceiling = exit_on("bare handler", measure(ceiling, Kind::Bare, &cfg).await);
    ceiling.print("bare axum GET (ceiling)");

    let target = start_api(dir.path(), "FULL").await;
    let full_fill = print_fill(
        "PUT (create), FULL",
        &cfg,
        exit_on("fill", fill(target.clone(), &cfg).await),
    );
    let mut full_put = None;
    let mut sqlite_rates = Vec::new();
    for (kind, key, label) in [
        (Kind::Get, "get", "GET one connection"),
        (Kind::List, "list", "GET list of 100"),
        (Kind::Put, "put", "PUT (replace), FULL"),
    ] {
        if cfg.only.as_deref().is_some_and(|o| o != key) {
            continue;
        }
        let f = exit_on(label, measure(target.clone(), kind, &cfg).await);
        f.print(label);
        sqlite_rates.push((key, f.rate()));
        match kind {
            Kind::Get => println!(
                "{:<28} {:>9.1} % of the ceiling",
                "GET one / bare GET",
                100.0 * f.rate() / ceiling.rate()
            ),
            Kind::Put => full_put = Some(f.rate()),
            _ => {}
        }
    }

    // The cost of durability: the same writes on a database that syncs less.
    if cfg.only.as_deref().is_none_or(|o| o == "put") {
        let normal = start_api(dir.path(), "NORMAL").await;
        let normal_fill = print_fill(
            "PUT (create), NORMAL",
            &cfg,
            exit_on("fill", fill(normal.clone(), &cfg).await),
        );
        let f = exit_on("put", measure(normal, Kind::Put, &cfg).await);
        f.print("PUT (replace), NORMAL");
        println!(
            "{:<28} {:>9.2} x (create)   {:.2} x (replace)",
            "FULL / NORMAL rate",
            full_fill / normal_fill,
            full_put.unwrap_or(f64::NAN) / f.rate()
        );
    }

    if !cfg.sqlite_only {
        postgres(&cfg, full_fill, &sqlite_rates).await;
    }
}

/// The same fill and measurements on PostgreSQL, each beside SQLite's (`FULL`) of this run.
async fn postgres(cfg: &Config, sqlite_fill: f64, sqlite_rates: &[(&str, f64)]) {
    let cluster = peering_pgtest::PgCluster::start_durable(100);
    let target = start_pg(&cluster.url()).await;
    let fill_rate = print_fill(
        "PUT (create), PostgreSQL",
        cfg,
        exit_on("fill", fill(target.clone(), cfg).await),
    );
    println!(
        "{:<28} {:>9.2} x SQLite",
        "PostgreSQL / SQLite",
        fill_rate / sqlite_fill
    );
    for (kind, key, label) in [
        (Kind::Get, "get", "GET one, PostgreSQL"),
        (Kind::List, "list", "GET list of 100, PostgreSQL"),
        (Kind::Put, "put", "PUT (replace), PostgreSQL"),
    ] {
        let Some((_, sqlite)) = sqlite_rates.iter().find(|(k, _)| *k == key) else {
            continue;
        };
        let f = exit_on(label, measure(target.clone(), kind, cfg).await);
        f.print(label);
        println!(
            "{:<28} {:>9.2} x SQLite",
            "PostgreSQL / SQLite",
            f.rate() / sqlite
        );
    }
    drop(cluster);
}
