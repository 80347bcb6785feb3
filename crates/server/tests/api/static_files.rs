//! The built app's files: compressed copies, caching, old path routes, and CSP reports.

use crate::helpers::*;
use peering_server::Settings;
use reqwest::Method;

fn header(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

const WASM: &str = "peering-console-0123456789abcdef_bg.wasm";

/// A `dist/` as `cargo xtask` leaves it: a hashed wasm with its `.br` and `.gz`, and the
/// unhashed files without.
fn dist() -> tempfile::TempDir {
    let dist = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &[u8]| std::fs::write(dist.path().join(name), body).unwrap();
    write(
        "index.html",
        b"<!doctype html><title>Peering Console</title>",
    );
    write("config.json", b"{\"apiBase\": \"\"}");
    write(WASM, b"raw wasm");
    write(&format!("{WASM}.br"), b"brotli wasm");
    write(&format!("{WASM}.gz"), b"gzip wasm");
    dist
}

async fn spawn(dist: &tempfile::TempDir, report_log: Option<std::path::PathBuf>) -> TestApp {
    spawn_app_with(Settings {
        static_dir: Some(dist.path().to_owned()),
        csp_report_log: report_log,
        ..Settings::default()
    })
    .await
}

async fn fetch(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}{path}", app.base))
        .header("Accept-Encoding", accept)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_browser_gets_the_compression_it_accepts() {
    let dist = dist();
    let app = spawn(&dist, None).await;
    let path = format!("/{WASM}");
    for (accept, body, encoding) in [
        ("br, gzip", "brotli wasm", Some("br")),
        ("gzip", "gzip wasm", Some("gzip")),
        ("identity", "raw wasm", None),
    ] {
        let res = fetch(&app, &path, accept).await;
        assert_eq!(res.status().as_u16(), 200, "{accept}");
        assert_eq!(header(&res, "content-encoding").as_deref(), encoding);
        assert_eq!(header(&res, "vary").as_deref(), Some("accept-encoding"));
        assert_eq!(
            header(&res, "content-type").as_deref(),
            Some("application/wasm")
        );
        assert_eq!(res.text().await.unwrap(), body);
    }
}

#[tokio::test]
async fn hashed_files_are_immutable_and_the_rest_is_asked_for_each_time() {
    let dist = dist();
    let app = spawn(&dist, None).await;
    for (path, cache) in [
        (format!("/{WASM}"), "public, max-age=31536000, immutable"),
        ("/".to_owned(), "no-cache"),
        ("/index.html".to_owned(), "no-cache"),
        ("/config.json".to_owned(), "no-cache"),
    ] {
        let res = fetch(&app, &path, "gzip").await;
        assert_eq!(res.status().as_u16(), 200, "{path}");
        assert_eq!(
            header(&res, "cache-control").as_deref(),
            Some(cache),
            "{path}"
        );
        if !path.ends_with(".wasm") {
            assert!(header(&res, "content-encoding").is_none(), "{path}");
        }
    }
    // An edited config.json is what the browser gets (no compressed copy can shadow it).
    std::fs::write(dist.path().join("config.json"), b"{\"apiBase\": \"x\"}").unwrap();
    let res = fetch(&app, "/config.json", "br, gzip").await;
    assert_eq!(res.text().await.unwrap(), "{\"apiBase\": \"x\"}");
}

#[tokio::test]
async fn old_path_routes_go_to_the_same_route_in_the_fragment() {
    let dist = dist();
    let app = spawn(&dist, None).await;
    let res = fetch(&app, "/c/rg-1/my-conn", "").await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(
        header(&res, "location").as_deref(),
        Some("/#/c/rg-1/my-conn")
    );
    let res = fetch(&app, "/new?step=prefixes", "").await;
    assert_eq!(
        header(&res, "location").as_deref(),
        Some("/#/new?step=prefixes")
    );
    // A missing file is a 404, not the app in its place, and not cached as missing for a
    // year even with a hashed name.
    let res = fetch(&app, "/peering-console-ffffffffffffffff.js", "").await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        fetch(&app, "/somewhere/else", "").await.status().as_u16(),
        404
    );
    assert_eq!(header(&res, "cache-control").as_deref(), Some("no-cache"));
}

/// An anonymous POST to the report endpoint, as a browser sends a report.
async fn post_report(app: &TestApp, body: Option<&serde_json::Value>) -> reqwest::Response {
    let url = format!("{}/csp-reports", app.base);
    app.send_as("", Method::POST, &url, &[], body).await
}

#[tokio::test]
async fn csp_reports_are_asked_for_and_logged_only_when_configured() {
    let dist = dist();
    let app = spawn(&dist, None).await;
    let res = fetch(&app, "/", "").await;
    let csp = header(&res, "content-security-policy").unwrap();
    assert!(!csp.contains("report-uri"), "{csp}");
    let res = post_report(&app, None).await;
    assert_eq!(res.status().as_u16(), 405, "no endpoint without the log");

    let log = dist.path().join("csp.jsonl");
    let app = spawn(&dist, Some(log.clone())).await;
    let res = fetch(&app, "/", "").await;
    let csp = header(&res, "content-security-policy").unwrap();
    assert!(csp.ends_with("; report-uri /csp-reports"), "{csp}");
    let report = serde_json::json!({"csp-report": {"document-uri": "http://x/", "violated-directive": "script-src-elem"}});
    let res = post_report(&app, Some(&report)).await;
    assert_eq!(res.status().as_u16(), 204);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(logged.lines().count(), 1);
    let line: serde_json::Value = serde_json::from_str(logged.lines().next().unwrap()).unwrap();
    assert_eq!(line, report);
    let res = post_report(&app, None).await;
    assert_eq!(res.status().as_u16(), 400, "an empty body is no report");
}
