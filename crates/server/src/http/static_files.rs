//! The built app's files (`--static dist/`), and the CSP report endpoint of `--csp-report-log`.
//!
//! Caching: a file whose name carries a content hash (`name-<hex>.js|css`, `name-<hex>_bg.wasm`:
//! Trunk's names, which `cargo xtask dist` gives the split modules too)
//! never changes under that name, so it is `immutable` for a year; everything else
//! (`index.html`, `config.json`, `boot.js`, the icon) is `no-cache`: a browser may keep it but
//! asks each time (a 304 while unchanged), so a new build or an edited `config.json` is seen on
//! the next load. `cargo xtask` writes `.br` and `.gz` beside the hashed files and the server
//! sends the one the browser accepts (`Vary: Accept-Encoding`); `config.json` and `index.html`,
//! the files an operator edits, have none, so an edit is never shadowed by a stale copy.
//!
//! The app's routes are in the URL fragment (`/#/c/rg/name`), so every page is `index.html`;
//! an old path route (`/new`, `/c/rg/name`) that names no file is sent to the same route in
//! the fragment, so links from before keep working. Anything else missing is a 404.

use super::security::app_policy;
use crate::error::ApiError;
use crate::settings::Settings;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::io::Write;
use std::path::Path;
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// Where browsers send CSP violation reports when `--csp-report-log` is set.
pub const CSP_REPORT_PATH: &str = "/csp-reports";

/// The largest report accepted, and the largest the log may grow to (then reports are
/// dropped, with a warning): the endpoint takes anonymous POSTs, so it must stay bounded.
const REPORT_LIMIT: usize = 16 * 1024;
const LOG_LIMIT: u64 = 10 * 1024 * 1024;

/// Whether a file name carries Trunk's content hash: `stem-<hex>` then `.js`, `.css`, or
/// `_bg.wasm`. Trunk writes a 64-bit hash in lowercase hex without leading zeros, so 16 digits,
/// fewer once in 16 builds; 8 is the floor (shorter happens once in 2³² builds), so that an
/// ordinary name such as `main-cafe.css` is not taken for a hashed one.
pub fn is_hashed_asset(name: &str) -> bool {
    let stem = name
        .strip_suffix("_bg.wasm")
        .or_else(|| name.strip_suffix(".js"))
        .or_else(|| name.strip_suffix(".css"));
    let Some((_, hash)) = stem.and_then(|s| s.rsplit_once('-')) else {
        return false;
    };
    (8..=16).contains(&hash.len())
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether a path is one of the app's routes from before they moved into the fragment:
/// `/new` or `/c/<resource group>/<name>` (a name may hold a dot, so the shape decides, not
/// the look of a file name).
fn is_old_route(path: &str) -> bool {
    // One trailing slash is forgiven (`/new/`).
    let path = path.strip_suffix('/').unwrap_or(path);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["new"] => true,
        ["c", rg, name] => !rg.is_empty() && !name.is_empty(),
        _ => false,
    }
}

fn method_not_allowed(allow: &'static str) -> Response {
    let mut res = StatusCode::METHOD_NOT_ALLOWED.into_response();
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    res
}

pub(crate) async fn serve(settings: &Settings, req: Request) -> Response {
    let Some(dir) = settings.static_dir.clone() else {
        return (
            StatusCode::NOT_FOUND,
            "This server was started without --static; only the API is served.",
        )
            .into_response();
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return method_not_allowed("GET, HEAD");
    }
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let svc = ServeDir::new(&dir).precompressed_br().precompressed_gzip();
    let mut res = match svc.oneshot(req).await {
        Ok(r) => r.map(Body::new),
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let last = path.rsplit('/').next().unwrap_or_default();
    if res.status() == StatusCode::NOT_FOUND && is_old_route(&path) {
        let to = match &query {
            Some(q) => format!("/#{path}?{q}"),
            None => format!("/#{path}"),
        };
        res = match HeaderValue::from_str(&to) {
            Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
            Err(_) => res,
        };
    }
    let found = matches!(res.status().as_u16(), 200 | 206 | 304);
    let h = res.headers_mut();
    // Only a file that is there is immutable: a hashed name not found yet (a deploy whose
    // index.html went out before its files) must not be cached as missing for a year.
    let cache = if found && is_hashed_asset(last) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let report = settings.csp_report_log.is_some().then_some(CSP_REPORT_PATH);
    let policy = app_policy(&settings.frame_ancestors, &settings.connect_sources, report);
    if let Ok(v) = HeaderValue::from_str(&policy) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// `POST /csp-reports`: one report (`application/csp-report`, or the Reporting API's
/// `application/reports+json`) appended as one line of JSON to the log file.
pub(crate) async fn csp_report(settings: &Settings, log: &Path, req: Request) -> Response {
    if req.method() != Method::POST {
        return method_not_allowed("POST");
    }
    let limit = REPORT_LIMIT.min(settings.body_limit);
    let Ok(body) = axum::body::to_bytes(req.into_body(), limit).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let Ok(report) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    // A full log takes nothing more, and says so at debug level only: the endpoint is open,
    // so a flood must not fill the server's own log either.
    let full = std::fs::metadata(log).is_ok_and(|m| m.len() > LOG_LIMIT);
    if full {
        tracing::debug!("the CSP report log is full; a report was dropped");
        return StatusCode::NO_CONTENT.into_response();
    }
    tracing::warn!(report = %report, "content security policy violation reported");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .and_then(|mut f| writeln!(f, "{report}"));
    match written {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn old_routes_are_known_by_their_shape() {
        use super::is_old_route;
        assert!(is_old_route("/new"));
        assert!(is_old_route("/c/rg-1/conn.with.dots"));
        assert!(is_old_route("/new/"));
        assert!(is_old_route("/c/rg/name/"));
        assert!(!is_old_route("/"));
        assert!(!is_old_route("/c/rg"));
        assert!(!is_old_route("/c//x"));
        assert!(!is_old_route("/console/"));
        assert!(!is_old_route("/missing.js"));
    }

    #[test]
    fn hashed_names_are_trunks() {
        assert!(is_hashed_asset("peering-console-1c6b80ff523a6ab8_bg.wasm"));
        assert!(is_hashed_asset("peering-console-1c6b80ff523a6ab8.js"));
        assert!(is_hashed_asset("main-6c008d95ded22d78.css"));
        assert!(!is_hashed_asset("index.html"));
        assert!(!is_hashed_asset("config.json"));
        assert!(!is_hashed_asset("boot.js"));
        assert!(!is_hashed_asset("main-6C008D95DED22D78.css"));
        assert!(
            is_hashed_asset("main-6c008d95ded22d7.css"),
            "15 digits: a leading 0"
        );
        assert!(!is_hashed_asset("main-cafe.css"));
        assert!(!is_hashed_asset("main-6c008d95ded22d780.css"));
        assert!(!is_hashed_asset("peering-console-1c6b80ff523a6ab8.wasm"));
        // The names `cargo xtask dist` gives the split build's modules and its loader.
        assert!(is_hashed_asset(
            "split_connection_page-cae6c54515aabf20_bg.wasm"
        ));
        assert!(is_hashed_asset("chunk_7-cae6c54515aabf20_bg.wasm"));
        assert!(is_hashed_asset("wasm_split-cae6c54515aabf20.js"));
        assert!(!is_hashed_asset("__wasm_split.js"));
        assert!(!is_hashed_asset("chunk_7.wasm"));
    }
}
