//! Fills a database with connections for the browser benchmarks (not a test; `cargo xtask
//! bench browser` runs it). Every connection and prefix goes through the API's own handlers
//! (validation, the overlap rule, the transaction per request), in this process and without
//! sockets; only the commit is `synchronous=NORMAL`, so 10,000 connections take seconds rather
//! than the minutes of an fsync each. The file is then served by the real `peering-server`.
//!
//!     cargo run -p peering-server --profile server --example seed -- --db PATH --connections N
//!
//! Connection `i` is at the `i`-th customer location of the catalog (cycling), with the
//! provider nearest to it as the catalog has them, its nearest peering location as primary and
//! the next as backup, and one prefix `a.b.c.0/24` of its own.

use axum::body::Body;
use axum::http::{header, Method, Request};
use peering_model::{geo, Catalog};
use peering_server::auth::Tokens;
use peering_server::{app, AppState, Settings};
use std::sync::Arc;
use tower::ServiceExt;

/// The subscription `public/config.json` opens by default.
const SUB: &str = "00000000-0000-0000-0000-000000000000";
const API: &str = "api-version=2022-10-01";

fn usage() -> ! {
    eprintln!("usage: seed --db PATH --connections N");
    std::process::exit(2)
}

/// A PUT through the router; the status, or why it failed.
async fn put(router: &axum::Router, auth: &str, path: String, body: String) -> Result<(), String> {
    let request = Request::builder()
        .method(Method::PUT)
        .uri(format!("{path}?{API}"))
        .header(header::AUTHORIZATION, auth)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .map_err(|e| e.to_string())?;
    let response = router
        .clone()
        .oneshot(request)
        .await
        .map_err(|e| e.to_string())?;
    match response.status().as_u16() {
        200 | 201 => Ok(()),
        status => Err(format!("PUT {path}: {status}")),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut db, mut count) = (None, None);
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--db", Some(v)) => db = Some(std::path::PathBuf::from(v)),
            ("--connections", Some(v)) => count = v.parse::<usize>().ok(),
            _ => usage(),
        }
    }
    let (Some(db), Some(count)) = (db, count) else {
        usage()
    };
    if count > 65_536 {
        eprintln!("seed: at most 65,536 connections (one /24 each under 11.0.0.0/8)");
        std::process::exit(2);
    }
    let store = peering_server::open_sqlite_with(&db, 2, 1024, "NORMAL").unwrap_or_else(|e| {
        eprintln!("seed: {e}");
        std::process::exit(1)
    });
    let (tokens, token) = Tokens::generate();
    let router = app(Arc::new(AppState {
        store: Arc::new(store),
        tokens,
        settings: Settings::default(),
    }));
    let auth = format!("Bearer {token}");
    let catalog = Catalog::embedded();
    // Every customer location with a provider within reach, nearest provider first.
    let places: Vec<_> = catalog
        .countries
        .iter()
        .flat_map(|c| c.locations.iter())
        .filter_map(|l| {
            let reach = geo::providers_by_distance(catalog, l).into_iter().next()?;
            reach.available().then_some((l, reach.provider))
        })
        .collect();
    let started = std::time::Instant::now();
    for i in 0..count {
        let (location, provider) = places[i % places.len()];
        let near = geo::locations_by_distance(catalog, location, provider);
        let backup = near.get(1).map_or("None", |b| b.0);
        let rg = format!("rg-{}", i % 17);
        let name = format!("site-{i:05}");
        let service = format!(
            "/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Peering/peeringServices/{name}"
        );
        let body = serde_json::json!({
            "location": location.azure_region,
            "tags": {"team": format!("t{}", i % 7)},
            "properties": {
                "peeringServiceLocation": location.state.trim(),
                "peeringServiceProvider": provider.name,
                "providerPrimaryPeeringLocation": near[0].0,
                "providerBackupPeeringLocation": backup,
            }
        });
        let prefix = serde_json::json!({
            "properties": {"prefix": format!("11.{}.{}.0/24", i / 256, i % 256)}
        });
        let done = async {
            put(&router, &auth, service.clone(), body.to_string()).await?;
            put(
                &router,
                &auth,
                format!("{service}/prefixes/p1"),
                prefix.to_string(),
            )
            .await
        };
        if let Err(e) = done.await {
            eprintln!("seed: {e}");
            std::process::exit(1);
        }
    }
    println!(
        "seed: {count} connections with a prefix each in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
