//! `peering-server`: the ARM-compatible `Microsoft.Peering` API over SQLite, and the host of
//! the built browser app.

pub mod arm;
pub mod auth;
pub mod catalog_api;
pub mod children;
pub mod conditional;
pub mod db;
pub mod error;
pub mod monitor_tests;
pub mod openapi;
pub mod paging;
pub mod prefixes;
pub mod ratelimit;
pub mod routes;
pub mod services;

use crate::arm::{ApiVersion, Route};
use crate::auth::{Role, Tokens};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::monitor_tests::MonitorTestRow;
use crate::prefixes::PrefixRow;
use crate::ratelimit::RateLimiter;
use crate::routes::RouteKind;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use peering_model::wire::SystemData;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// Settings beyond the database and tokens.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The built app (`dist/`), served for every path that is not an API path.
    pub static_dir: Option<PathBuf>,
    /// Origins allowed to frame the app (CSP `frame-ancestors`); empty means `'none'`.
    pub frame_ancestors: Vec<String>,
    /// Request bodies larger than this get 413.
    pub body_limit: usize,
    /// Origins allowed to call the API from a browser (CORS); empty means CORS is off.
    pub cors_origins: Vec<String>,
    /// Requests per second allowed per token; None means no limit.
    pub rate_limit: Option<u32>,
    /// The clock of the rate limit. Tests stop it (a function returning one fixed instant), so
    /// what passes does not depend on how fast the machine runs the requests.
    pub clock: fn() -> Instant,
    /// The public base URL of the API (`--public-url`, checked by [`parse_public_url`]), used
    /// for every `nextLink`. None: the request's `Host` and `X-Forwarded-Proto`.
    pub public_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            static_dir: None,
            frame_ancestors: Vec::new(),
            body_limit: 1024 * 1024,
            cors_origins: Vec::new(),
            rate_limit: None,
            clock: Instant::now,
            public_url: None,
        }
    }
}

pub struct AppState {
    pub db: Db,
    pub tokens: Tokens,
    pub settings: Settings,
}

/// Who is calling: a short fingerprint of the token (never the token) and its role.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: String,
    pub role: Role,
}

/// Everything a handler needs about one API request.
pub struct Ctx {
    pub db: Db,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub query: HashMap<String, String>,
    pub raw_query: String,
    pub version: ApiVersion,
    pub path: String,
    pub base: String,
}

impl Ctx {
    /// The absolute link to the page after `key`, keeping the other query parameters.
    pub fn next_link(&self, key: &(String, String)) -> String {
        let mut q: Vec<&str> = self
            .raw_query
            .split('&')
            .filter(|p| !p.is_empty() && !p.to_ascii_lowercase().starts_with("$skiptoken="))
            .collect();
        let token = format!("$skipToken={}", paging::encode_token(key));
        q.push(&token);
        format!("{}{}?{}", self.base, self.path, q.join("&"))
    }
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Checks a `--public-url`: `http://` or `https://`, a host (a name, an IPv4 address or a
/// bracketed IPv6 address), an optional port (1–65535) and an optional path; no user info,
/// query or fragment. Returns it without a trailing `/`, as the base that request paths
/// (`/subscriptions/...`) are appended to.
pub fn parse_public_url(s: &str) -> Result<String, String> {
    let bad = |why: &str| {
        format!("--public-url '{s}' is not a base URL such as https://peering.example.com or https://example.com:8443/peering: {why}")
    };
    let lower = s.to_ascii_lowercase();
    let (scheme, rest) = if lower.starts_with("https://") {
        ("https", &s[8..])
    } else if lower.starts_with("http://") {
        ("http", &s[7..])
    } else {
        return Err(bad("it must start with http:// or https://"));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(bad("it must not hold a user name or password"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("an IPv6 address needs its closing ']'"))?;
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad("the address in [...] is not an IPv6 address"));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| bad("only ':port' may follow the IPv6 address"))?,
            ),
        };
        (authority, port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let host_ok = host.starts_with('[')
        || (!host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }));
    if !host_ok {
        return Err(bad(
            "the host must be a name such as peering.example.com or an IP address",
        ));
    }
    if let Some(p) = port {
        if !(p.bytes().all(|b| b.is_ascii_digit()) && matches!(p.parse::<u32>(), Ok(1..=65535))) {
            return Err(bad("the port must be a number from 1 to 65535"));
        }
    }
    if let Some(c) = path
        .chars()
        .find(|c| !c.is_ascii_graphic() || matches!(c, '?' | '#'))
    {
        return Err(bad(&format!(
            "the path must not hold {c:?} (no query, fragment, spaces or non-ASCII characters)"
        )));
    }
    Ok(format!(
        "{scheme}://{authority}{}",
        path.trim_end_matches('/')
    ))
}

/// The error for a request body that could not be read: 413 when it is larger than the limit,
/// 400 for any other failure (the client broke off, a malformed chunk, ...).
pub fn body_read_error(e: axum::Error, limit: usize) -> ApiError {
    let inner = e.into_inner();
    if inner.is::<http_body_util::LengthLimitError>() {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!("The request body is larger than {limit} bytes."),
        )
    } else {
        ApiError::bad_request(
            "InvalidRequestContent",
            format!("The request body could not be read ({inner}); send the request again."),
        )
    }
}

/// Whether `s` can stand in a CSP source list as one source (no separators, visible ASCII).
pub fn is_csp_source(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b';' && b != b',')
}

pub fn content_security_policy(frame_ancestors: &[String]) -> String {
    let fa = if frame_ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        frame_ancestors.join(" ")
    };
    format!("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; frame-ancestors {fa}")
}

/// `systemData` (2025-05-01 and later): who created and last changed a resource, and when.
pub fn system_data(
    v: ApiVersion,
    created_at: &str,
    created_by: &str,
    modified_at: &str,
    modified_by: &str,
) -> Option<SystemData> {
    v.has_system_data().then(|| SystemData {
        created_by: Some(created_by.to_owned()),
        created_by_type: Some("Key".to_owned()),
        created_at: Some(created_at.to_owned()),
        last_modified_by: Some(modified_by.to_owned()),
        last_modified_by_type: Some("Key".to_owned()),
        last_modified_at: Some(modified_at.to_owned()),
    })
}

/// What every request handler shares.
#[derive(Clone)]
struct Shared {
    state: Arc<AppState>,
    limiter: Option<Arc<RateLimiter>>,
}

/// The CORS policy: an exact list of origins, the headers the app sends, the ones it reads.
pub fn cors_layer(origins: &[String]) -> Result<CorsLayer, String> {
    let origins = origins
        .iter()
        .map(|o| {
            let bad = || {
                format!("--cors-origin '{o}' is not an origin such as https://portal.example.com")
            };
            let origin = o.trim_end_matches('/');
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .ok_or_else(bad)?;
            if rest.is_empty() || rest.contains('/') {
                return Err(bad());
            }
            HeaderValue::from_str(origin).map_err(|_| bad())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::POST,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static("x-ms-client-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            HeaderName::from_static("x-ms-error-code"),
        ])
        .max_age(std::time::Duration::from_secs(600)))
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("a request handler panicked").into_response()
}

/// The whole application, drivable without a socket.
pub fn app(state: Arc<AppState>) -> Router {
    let limiter = state
        .settings
        .rate_limit
        .map(|n| Arc::new(RateLimiter::new(n)));
    let cors = match cors_layer(&state.settings.cors_origins) {
        Ok(c) if !state.settings.cors_origins.is_empty() => Some(c),
        Ok(_) => None,
        Err(e) => {
            // main() validates origins before it builds the app; a bad one here allows none.
            eprintln!("peering-server: {e}; CORS stays off");
            None
        }
    };
    let router = Router::new()
        .fallback(handle)
        .with_state(Shared { state, limiter })
        .layer(CatchPanicLayer::custom(panic_response));
    let router = match cors {
        Some(c) => router.layer(c),
        None => router,
    };
    router.layer(SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
}

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let path = req.uri().path();
    if path == RouteKind::OpenApi.spec().path {
        openapi::serve(req.method())
    } else if arm::is_api_path(path) {
        api(shared, req).await
    } else {
        static_files(shared.state, req).await
    }
}

async fn static_files(state: Arc<AppState>, req: Request) -> Response {
    let Some(dir) = state.settings.static_dir.clone() else {
        return (
            StatusCode::NOT_FOUND,
            "This server was started without --static; only the API is served.",
        )
            .into_response();
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut res = StatusCode::METHOD_NOT_ALLOWED.into_response();
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    let index = dir.join("index.html");
    let svc = ServeDir::new(&dir).fallback(ServeFile::new(index));
    let mut res = match svc.oneshot(req).await {
        Ok(r) => r.map(Body::new),
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let csp = content_security_policy(&state.settings.frame_ancestors);
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

async fn api(shared: Shared, req: Request) -> Response {
    let query = arm::query_map(req.uri().query());
    // Error details (every finding) are part of the 2025-05-01 error shape only.
    let details = matches!(arm::api_version(&query), Ok(v) if v >= ApiVersion::V2025_05_01);
    match api_inner(shared, req, query).await {
        Ok(r) => r,
        Err(mut e) => {
            if !details {
                e.details.clear();
            }
            e.into_response()
        }
    }
}

/// The order of checks: who (401), how fast (429), where (404), which method (405), which
/// api-version (400), whose subscription (403, before anything about what exists there), the
/// role (403 for a reader's write), the body (413 when too large, 400 when unreadable), then
/// the operation.
async fn api_inner(
    shared: Shared,
    req: Request,
    query: HashMap<String, String>,
) -> ApiResult<Response> {
    let state = shared.state;
    let (parts, body) = req.into_parts();
    let grant = state.tokens.authenticate(&parts.headers)?;
    let caller = Caller {
        id: format!("token-{}", &arm::etag_of(grant.token.as_bytes())[1..9]),
        role: grant.role,
    };
    if let (Some(limiter), Some(rate)) = (&shared.limiter, state.settings.rate_limit) {
        limiter
            .check_at(&caller.id, (state.settings.clock)())
            .map_err(|wait| ratelimit::too_many_requests(wait, rate))?;
    }
    let route = arm::parse_route(parts.uri.path())?;
    let spec = route.kind().spec();
    let method = parts.method.clone();
    let op = spec
        .op(method.as_str())
        .ok_or_else(|| ApiError::method_not_allowed(method.as_str(), spec.allow()))?;
    let version = arm::api_version(&query)?;
    if let Some(sub) = route.subscription() {
        if !grant.allows(sub) {
            return Err(auth::forbidden_subscription(sub));
        }
        peering_model::names::SubscriptionId::parse(sub).map_err(|f| ApiError::finding(&f))?;
    }
    if op.write && grant.role == Role::Reader {
        return Err(auth::forbidden_write());
    }
    let body = axum::body::to_bytes(body, state.settings.body_limit)
        .await
        .map_err(|e| body_read_error(e, state.settings.body_limit))?;
    let ctx = Ctx {
        db: state.db.clone(),
        base: match &state.settings.public_url {
            Some(url) => url.clone(),
            None => arm::base_url(&parts.headers),
        },
        headers: parts.headers,
        body,
        raw_query: parts.uri.query().unwrap_or("").to_owned(),
        query,
        version,
        path: parts.uri.path().to_owned(),
    };
    use arm::SubscriptionOp as Sop;
    match (route, op.method) {
        (Route::Operations, "GET") => catalog_api::operations(&ctx),
        (
            Route::Subscription {
                sub,
                op: Sop::PeeringServices,
            },
            "GET",
        ) => services::list(ctx, sub, None).await,
        (
            Route::Subscription {
                sub,
                op: Sop::Countries,
            },
            "GET",
        ) => catalog_api::countries(&ctx, &sub),
        (
            Route::Subscription {
                sub,
                op: Sop::Locations,
            },
            "GET",
        ) => catalog_api::locations(&ctx, &sub),
        (
            Route::Subscription {
                op: Sop::Providers, ..
            },
            "GET",
        ) => catalog_api::providers(&ctx),
        (
            Route::Subscription {
                op: Sop::CheckAvailability,
                ..
            },
            "POST",
        ) => catalog_api::check_availability(&ctx),
        (
            Route::Subscription {
                op: Sop::InitializeConnectionMonitor,
                ..
            },
            "POST",
        ) => Ok(StatusCode::OK.into_response()),
        (Route::ServicesInGroup { sub, rg }, "GET") => services::list(ctx, sub, Some(rg)).await,
        (Route::Service(p), "GET") => services::get(ctx, p).await,
        (Route::Service(p), "PUT") => services::put(ctx, caller, p).await,
        (Route::Service(p), "PATCH") => services::patch(ctx, caller, p).await,
        (Route::Service(p), "DELETE") => services::delete(ctx, p).await,
        (Route::Prefixes(p), "GET") => children::list::<PrefixRow>(ctx, p).await,
        (Route::Prefix(p, n), "GET") => children::get::<PrefixRow>(ctx, p, n).await,
        (Route::Prefix(p, n), "PUT") => prefixes::put(ctx, caller, p, n).await,
        (Route::Prefix(p, n), "DELETE") => children::delete::<PrefixRow>(ctx, p, n).await,
        (Route::MonitorTests(p), "GET") => children::list::<MonitorTestRow>(ctx, p).await,
        (Route::MonitorTest(p, n), "GET") => children::get::<MonitorTestRow>(ctx, p, n).await,
        (Route::MonitorTest(p, n), "PUT") => monitor_tests::put(ctx, caller, p, n).await,
        (Route::MonitorTest(p, n), "DELETE") => children::delete::<MonitorTestRow>(ctx, p, n).await,
        // The route table lists an operation this match does not serve; a test sends every
        // operation of the table, so this is never reached.
        _ => Err(ApiError::method_not_allowed(method.as_str(), spec.allow())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_are_checked_and_lose_their_trailing_slash() {
        for (given, base) in [
            ("https://peering.example.com", "https://peering.example.com"),
            (
                "https://peering.example.com/",
                "https://peering.example.com",
            ),
            ("HTTP://127.0.0.1:8080", "http://127.0.0.1:8080"),
            (
                "https://example.com:8443/peering/api/",
                "https://example.com:8443/peering/api",
            ),
            ("http://[::1]:8080/x", "http://[::1]:8080/x"),
            ("http://[2001:db8::1]", "http://[2001:db8::1]"),
            ("https://my-host", "https://my-host"),
        ] {
            assert_eq!(parse_public_url(given).as_deref(), Ok(base), "{given}");
        }
        for bad in [
            "",
            "peering.example.com",
            "ftp://peering.example.com",
            "https://",
            "https:///path",
            "https://user:pw@peering.example.com",
            "https://peering.example.com:0",
            "https://peering.example.com:65536",
            "https://peering.example.com:",
            "https://peering.example.com:80x",
            "https://peering..example.com",
            "https://peer_ing.example.com",
            "https://peering.example.com/a?b=c",
            "https://peering.example.com/a#top",
            "https://peering.example.com/a b",
            "https://peering.example.com/ü",
            "http://[::1",
            "http://[not-v6]:80",
            "http://[::1]x",
        ] {
            let e = parse_public_url(bad).unwrap_err();
            assert!(
                e.starts_with(&format!("--public-url '{bad}' is not a base URL")),
                "{bad}: {e}"
            );
        }
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_413_and_a_broken_one_400() {
        let e = axum::body::to_bytes(Body::from("x".repeat(10)), 4)
            .await
            .unwrap_err();
        let e = body_read_error(e, 4);
        assert_eq!(
            (e.status, e.code),
            (StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge")
        );
        assert_eq!(e.message, "The request body is larger than 4 bytes.");

        let broken = axum::Error::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset",
        ));
        let e = body_read_error(broken, 4);
        assert_eq!(
            (e.status, e.code),
            (StatusCode::BAD_REQUEST, "InvalidRequestContent")
        );
        assert_eq!(
            e.message,
            "The request body could not be read (connection reset); send the request again."
        );
    }
}
