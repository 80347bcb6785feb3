//! `peering-server`: the ARM-compatible `Microsoft.Peering` API over SQLite, and the host of
//! the built browser app.

pub mod arm;
pub mod auth;
pub mod catalog_api;
pub mod conditional;
pub mod db;
pub mod error;
pub mod paging;
pub mod services;

use crate::arm::{ApiVersion, Route, SubscriptionOp};
use crate::auth::{Role, Tokens};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;
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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            static_dir: None,
            frame_ancestors: Vec::new(),
            body_limit: 1024 * 1024,
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

pub fn content_security_policy(frame_ancestors: &[String]) -> String {
    let fa = if frame_ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        frame_ancestors.join(" ")
    };
    format!("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; frame-ancestors {fa}")
}

/// The whole application, drivable without a socket.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .fallback(handle)
        .with_state(state)
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

async fn handle(State(state): State<Arc<AppState>>, req: Request) -> Response {
    if arm::is_api_path(req.uri().path()) {
        api(state, req).await
    } else {
        static_files(state, req).await
    }
}

async fn static_files(state: Arc<AppState>, req: Request) -> Response {
    let Some(dir) = state.settings.static_dir.clone() else {
        return (StatusCode::NOT_FOUND, "This server was started without --static; only the API is served.").into_response();
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
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

async fn api(state: Arc<AppState>, req: Request) -> Response {
    let query = arm::query_map(req.uri().query());
    // Error details (every finding) are part of the 2025-05-01 error shape only.
    let details = matches!(arm::api_version(&query), Ok(v) if v >= ApiVersion::V2025_05_01);
    match api_inner(state, req, query).await {
        Ok(r) => r,
        Err(mut e) => {
            if !details {
                e.details.clear();
            }
            e.into_response()
        }
    }
}

async fn api_inner(state: Arc<AppState>, req: Request, query: HashMap<String, String>) -> ApiResult<Response> {
    let (parts, body) = req.into_parts();
    let grant = state.tokens.authenticate(&parts.headers)?.clone();
    let version = arm::api_version(&query)?;
    let route = arm::parse_route(parts.uri.path())?;
    if let Some(sub) = route.subscription() {
        if !grant.allows(sub) {
            return Err(auth::forbidden_subscription(sub));
        }
        peering_model::names::SubscriptionId::parse(sub).map_err(|f| ApiError::finding(&f))?;
    }
    let method = parts.method.clone();
    let is_write = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if is_write && grant.role == Role::Reader {
        return Err(auth::forbidden_write());
    }
    let body = axum::body::to_bytes(body, state.settings.body_limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!("The request body is larger than {} bytes.", state.settings.body_limit),
        )
    })?;
    let caller = Caller {
        id: format!("token-{}", &arm::etag_of(grant.token.as_bytes())[1..9]),
        role: grant.role,
    };
    let ctx = Ctx {
        db: state.db.clone(),
        base: arm::base_url(&parts.headers),
        headers: parts.headers,
        body,
        raw_query: parts.uri.query().unwrap_or("").to_owned(),
        query,
        version,
        path: parts.uri.path().to_owned(),
    };
    let not_allowed = |allowed: &str| {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{method} is not supported here; this path allows {allowed}."),
        )
    };
    use SubscriptionOp as Op;
    match route {
        Route::Operations => match method {
            Method::GET => catalog_api::operations(&ctx),
            _ => Err(not_allowed("GET")),
        },
        Route::Subscription { sub, op } => match (op, &method) {
            (Op::PeeringServices, &Method::GET) => services::list(ctx, sub, None).await,
            (Op::Countries, &Method::GET) => catalog_api::countries(&ctx, &sub),
            (Op::Locations, &Method::GET) => catalog_api::locations(&ctx, &sub),
            (Op::Providers, &Method::GET) => catalog_api::providers(&ctx),
            (Op::CheckAvailability, &Method::POST) => catalog_api::check_availability(&ctx),
            (Op::InitializeConnectionMonitor, &Method::POST) => Ok(StatusCode::OK.into_response()),
            (Op::CheckAvailability | Op::InitializeConnectionMonitor, _) => Err(not_allowed("POST")),
            _ => Err(not_allowed("GET")),
        },
        Route::ServicesInGroup { sub, rg } => match method {
            Method::GET => services::list(ctx, sub, Some(rg)).await,
            _ => Err(not_allowed("GET")),
        },
        Route::Service(p) => match method {
            Method::GET => services::get(ctx, p).await,
            Method::PUT => services::put(ctx, caller, p).await,
            Method::PATCH => services::patch(ctx, caller, p).await,
            Method::DELETE => services::delete(ctx, p).await,
            _ => Err(not_allowed("GET, PUT, PATCH, DELETE")),
        },
        Route::Prefixes(_) | Route::Prefix(..) | Route::MonitorTests(_) | Route::MonitorTest(..) => Err(ApiError::not_found(
            "UnsupportedResourceType",
            "Prefixes and connection monitor tests are not served by this version of the server yet.",
        )),
    }
}
