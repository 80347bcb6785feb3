//! The dispatcher: every request goes through [`handle`], which sends `/openapi.json`, the API
//! and the app's files their ways. An API request passes its checks in a fixed order, then
//! reaches exactly one handler.

use super::observe::{
    client_id, CallerId, ClientAddr, RequestId, CLIENT_REQUEST_ID, CORRELATION_ID,
};
use super::ratelimit::{too_many_failures, too_many_requests, RateLimiter};
use super::request::{api_version, body_read_error, query_map, Ctx};
use super::static_files;
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::handlers::{
    activity, catalog, children, insights, services, telemetry, telemetry_reads,
};
use crate::routes::{kind_of, RouteKind};
use crate::serve::LocalAddr;
use crate::store::Activity;
use crate::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use peering_model::activity::Operation;
use peering_model::resource_id::{PathError, SubscriptionOp as Sop};
use peering_model::{ApiVersion, ArmPath};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// What every request handler shares.
#[derive(Clone)]
pub(crate) struct Shared {
    pub state: Arc<AppState>,
    pub limiter: Option<Arc<RateLimiter>>,
}

pub(crate) async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let path = req.uri().path();
    if path == RouteKind::OpenApi.spec().path {
        super::openapi::serve(req.method())
    } else if ArmPath::is_api_path(path) {
        api(shared, req).await
    } else if path == static_files::CSP_REPORT_PATH {
        match shared.state.settings.csp_report_log.clone() {
            Some(log) => static_files::csp_report(&shared.state.settings, &log, req).await,
            None => static_files::serve(&shared.state.settings, req).await,
        }
    } else {
        static_files::serve(&shared.state.settings, req).await
    }
}

async fn api(shared: Shared, req: Request) -> Response {
    let query = query_map(req.uri().query());
    // Error details (every finding) are part of the 2025-05-01 error shape only.
    let details = matches!(api_version(&query), Ok(v) if v.has_error_details());
    let mut caller = None;
    let mut kind = None;
    let mut client = None;
    let mut write = None;
    let timeout = shared.state.settings.request_timeout;
    let store = shared.state.store.clone();
    // The caller is known as soon as the token is, so a request that times out is still
    // logged with who sent it.
    let answer = tokio::time::timeout(timeout, api_inner(shared, req, query, &mut caller, &mut kind, &mut client, &mut write))
        .await
        .unwrap_or_else(|_| {
            Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeout",
                format!("The request took longer than {} s and was stopped; if it was a write, read the resource to see whether it was applied, then retry.", timeout.as_secs_f64().ceil()),
            ))
        });
    let mut res = match answer {
        Ok(r) => r,
        Err(mut e) => {
            if let Some(a) = write.filter(|_| is_recorded_refusal(e.status)) {
                // A refused write is on the record too; the refusal is answered whether or
                // not its record could be written (it changed nothing).
                let (status, code) = (e.status.as_u16(), e.code.to_owned());
                if let Err(r) = store
                    .record_refusal(a, status, code, e.message.clone())
                    .await
                {
                    tracing::warn!("a refused write was not recorded: {}", r.cause());
                }
            }
            if !details {
                e.details.clear();
            }
            e.into_response()
        }
    };
    if let Some(c) = caller {
        res.extensions_mut().insert(c);
    }
    if let Some(ip) = client {
        res.extensions_mut().insert(ClientAddr(ip));
    }
    if let Some(k) = kind {
        res.extensions_mut().insert(k);
    }
    res
}

/// The refusals the activity log records: everything a client was told no, except a missing
/// credential (nobody to name), a timeout (it may have been applied, and then it is recorded)
/// and the rate limit (recording every refusal of a flood would be the flood's work).
fn is_recorded_refusal(status: StatusCode) -> bool {
    status.is_client_error()
        && ![
            StatusCode::UNAUTHORIZED,
            StatusCode::REQUEST_TIMEOUT,
            StatusCode::TOO_MANY_REQUESTS,
        ]
        .contains(&status)
}

/// The operation a write is recorded as, and its resource id; `None` for what is not a
/// change (reads, telemetry ingestion, the availability check).
fn recorded_operation(route: &ArmPath, method: &str) -> Option<Operation> {
    match (route, method) {
        (ArmPath::Service(_), "PUT" | "PATCH") => Some(Operation::ServiceWrite),
        (ArmPath::Service(_), "DELETE") => Some(Operation::ServiceDelete),
        (ArmPath::Child(_, kind, _), "PUT") => Some(Operation::of_child(*kind, false)),
        (ArmPath::Child(_, kind, _), "DELETE") => Some(Operation::of_child(*kind, true)),
        (
            ArmPath::Subscription {
                op: Sop::InitializeConnectionMonitor,
                ..
            },
            "POST",
        ) => Some(Operation::InitializeConnectionMonitor),
        _ => None,
    }
}

/// Now in Unix milliseconds: the wall clock's second (injectable in tests) and the real
/// clock's milliseconds within it.
fn now_ms(wall_clock: fn() -> i64) -> i64 {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::from(d.subsec_millis()));
    wall_clock() * 1000 + ms
}

/// Where `nextLink`s point without `--public-url`: the address the client connected to, one of
/// ours. The `Host` the client sent is kept only when it names that same address, or
/// `localhost` on a loopback address (so a page opened as `http://localhost:8080` follows links
/// on its own origin); any other `Host` (a foreign name, or one a proxy passed on) is never
/// echoed.
fn own_base(headers: &axum::http::HeaderMap, local: Option<&LocalAddr>) -> String {
    let Some(LocalAddr(addr)) = local else {
        // Driven without a socket (tests of `app()`): no address to name but our own.
        return "http://localhost".to_owned();
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase);
    let ours = addr.to_string();
    match host {
        Some(h) if h == ours => format!("http://{h}"),
        Some(h) if addr.ip().is_loopback() && h == format!("localhost:{}", addr.port()) => {
            format!("http://{h}")
        }
        _ => format!("http://{ours}"),
    }
}

fn route_error(e: PathError, path: &str) -> ApiError {
    match e {
        PathError::NotUtf8 { .. } | PathError::ControlCharacter { .. } => {
            ApiError::bad_request("InvalidPath", e.to_string())
        }
        PathError::Unknown | PathError::NotAResource => ApiError::not_found(
            "InvalidResourceType",
            format!("The path '{path}' does not name a Microsoft.Peering resource or operation."),
        ),
    }
}

/// The order of checks: who (401; with `--rate-limit`, a request without a valid credential
/// from an address that failed too often gets 429, while one with a valid credential is never
/// refused for other clients' failures), how fast (429), where (404), which method (405),
/// which api-version (400), whose subscription (403, before anything about what exists
/// there), the role (403 for a reader's write), the body (413 when too large, 400 when
/// unreadable), then the operation.
async fn api_inner(
    shared: Shared,
    req: Request,
    query: HashMap<String, String>,
    caller_id: &mut Option<CallerId>,
    route_kind: &mut Option<RouteKind>,
    client: &mut Option<std::net::IpAddr>,
    write: &mut Option<Activity>,
) -> ApiResult<Response> {
    let state = shared.state;
    let settings = &state.settings;
    let (parts, body) = req.into_parts();
    let now = (settings.clock)();
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| super::client::client_ip(c.0.ip(), &parts.headers, &settings.trusted_proxies));
    *client = ip;
    let address = ip.map(|ip| format!("address {ip}"));
    let principal = match state
        .tokens
        .authenticate(&parts.headers, (settings.wall_clock)())
        .await
    {
        Ok(p) => p,
        Err(e) => {
            // A failed authentication spends the address's allowance, and once it is spent
            // the failures get 429. A valid credential is served from any address, so a
            // stranger's failures never lock out anyone who signs in properly; this slows
            // guessing without stopping a lucky guess, so tokens must be long.
            if let (Some(limiter), Some(rate), Some(addr)) =
                (&shared.limiter, settings.rate_limit, &address)
            {
                if let Some(wait) = limiter.limited_at(addr, now) {
                    return Err(too_many_failures(wait, rate));
                }
                let _ = limiter.check_at(addr, now);
            }
            return Err(e);
        }
    };
    let caller = principal.caller();
    *caller_id = Some(CallerId {
        name: principal.name.clone(),
        kind: caller.created_by_type(),
    });
    if let (Some(limiter), Some(rate)) = (&shared.limiter, settings.rate_limit) {
        limiter
            .check_at(&principal.key, now)
            .map_err(|wait| too_many_requests(wait, rate))?;
    }
    let path = parts.uri.path();
    let route = ArmPath::parse(path).map_err(|e| route_error(e, path))?;
    let kind = kind_of(&route);
    *route_kind = Some(kind);
    let spec = kind.spec();
    let method = parts.method.clone();
    let op = spec
        .op(method.as_str())
        .ok_or_else(|| ApiError::method_not_allowed(method.as_str(), spec.allow()))?;
    // No parameter this API reads may hold a control character (a NUL would reach the
    // database); the first one that does is named.
    if let Some((k, _)) = query.iter().find(|(_, v)| v.chars().any(char::is_control)) {
        return Err(ApiError::bad_request(
            "InvalidQueryParameter",
            format!("The query parameter '{k}' holds a control character; no value this API reads does."),
        )
        .with_target(k.clone()));
    }
    // A write is on the record from here on, refused or not: the caller and the resource are
    // known (a subscription id that is not one names nothing to record it under).
    if let (Some(operation), Some(sub)) =
        (recorded_operation(&route, op.method), route.subscription())
    {
        if peering_model::names::SubscriptionId::parse(sub).is_ok() {
            let request_id = parts
                .extensions
                .get::<RequestId>()
                .map(|r| r.0.clone())
                .unwrap_or_default();
            let resource_id = route.to_string();
            *write = Some(Activity {
                event_id: super::observe::new_request_id(),
                at_ms: now_ms(settings.wall_clock),
                subscription: sub.to_owned(),
                resource_group: peering_model::activity::resource_group_of(&resource_id)
                    .map(|g| peering_model::percent::decode(g).unwrap_or_else(|| g.to_owned())),
                resource_id,
                operation,
                method: op.method.to_owned(),
                caller: principal.name.clone(),
                caller_type: caller.created_by_type(),
                correlation_id: client_id(&parts.headers, &CORRELATION_ID)
                    .unwrap_or_else(|| request_id.clone()),
                request_id,
                client_request_id: client_id(&parts.headers, &CLIENT_REQUEST_ID),
                client_ip: ip.map(|ip| ip.to_string()),
            });
        }
    }
    let version: ApiVersion = if kind == RouteKind::ActivityEvents {
        insights::insights_api_version(&query)?
    } else {
        api_version(&query)?
    };
    let role = match route.subscription() {
        Some(sub) => {
            let role = principal.role_in(sub).ok_or_else(|| {
                if principal.any_role().is_none() {
                    auth::no_grant(&principal.name)
                } else {
                    auth::forbidden_subscription(sub)
                }
            })?;
            peering_model::names::SubscriptionId::parse(sub).map_err(|f| ApiError::finding(&f))?;
            role
        }
        None => principal
            .any_role()
            .ok_or_else(|| auth::no_grant(&principal.name))?,
    };
    auth::authorize(role, op.access)?;
    let body = axum::body::to_bytes(body, settings.body_limit)
        .await
        .map_err(|e| body_read_error(e, settings.body_limit))?;
    let base = match &settings.public_url {
        Some(url) => url.clone(),
        None => own_base(&parts.headers, parts.extensions.get::<LocalAddr>()),
    };
    let ctx = Ctx {
        store: state.store.clone(),
        base,
        headers: parts.headers,
        body,
        raw_query: parts.uri.query().unwrap_or("").to_owned(),
        query,
        version,
        path: parts.uri.path().to_owned(),
        now: (settings.wall_clock)(),
        retention: settings.retention,
        activity: write.clone(),
    };
    match (route, op.method) {
        (ArmPath::Operations, "GET") => catalog::operations(&ctx),
        (ArmPath::Subscription { subscription, op }, m) => match (op, m) {
            (Sop::PeeringServices, "GET") => services::list(ctx, subscription, None).await,
            (Sop::Countries, "GET") => catalog::countries(&ctx, &subscription),
            (Sop::Locations, "GET") => catalog::locations(&ctx, &subscription),
            (Sop::Providers, "GET") => catalog::providers(&ctx),
            (Sop::CheckAvailability, "POST") => catalog::check_availability(&ctx),
            (Sop::InitializeConnectionMonitor, "POST") => {
                telemetry_reads::initialize_connection_monitor(ctx, subscription).await
            }
            (Sop::PrefixSummaries, "GET") => catalog::prefix_summaries(ctx, subscription).await,
            (Sop::IngestRoutes, "POST") => telemetry::routes(ctx, subscription).await,
            (Sop::IngestPrefixKeys, "POST") => telemetry::prefix_keys(ctx, subscription).await,
            (Sop::IngestMonitorResults, "POST") => {
                telemetry::monitor_results(ctx, subscription).await
            }
            (Sop::IngestLatency, "POST") => telemetry::latency_samples(ctx, subscription).await,
            (Sop::PrefixLatency, "GET") => telemetry_reads::prefix_latency(ctx, subscription).await,
            (Sop::Alerts, "GET") => telemetry_reads::alerts(ctx, subscription).await,
            (Sop::AlertDeliveries, "GET") => telemetry_reads::deliveries(ctx, subscription).await,
            (Sop::ActivityLog, "GET") => activity::log(ctx, subscription).await,
            (Sop::MonitorTestResults, "GET") => {
                telemetry_reads::monitor_test_results(ctx, subscription).await
            }
            _ => Err(ApiError::method_not_allowed(method.as_str(), spec.allow())),
        },
        (
            ArmPath::ServicesInGroup {
                subscription,
                resource_group,
            },
            "GET",
        ) => services::list(ctx, subscription, Some(resource_group)).await,
        (ArmPath::Service(id), "GET") => services::get(ctx, id).await,
        (ArmPath::Service(id), "PUT") => services::put(ctx, caller, id).await,
        (ArmPath::Service(id), "PATCH") => services::patch(ctx, caller, id).await,
        (ArmPath::Service(id), "DELETE") => services::delete(ctx, id).await,
        (ArmPath::Children(id, kind), "GET") => children::list(ctx, id, kind).await,
        (ArmPath::Child(id, kind, name), "GET") => children::get(ctx, id, kind, name).await,
        (ArmPath::Child(id, kind, name), "PUT") => children::put(ctx, id, kind, name).await,
        (ArmPath::Child(id, kind, name), "DELETE") => children::delete(ctx, id, kind, name).await,
        (
            ArmPath::ActivityRecord {
                subscription,
                event_id,
            },
            "GET",
        ) => activity::record(ctx, subscription, event_id).await,
        (ArmPath::ActivityEvents { subscription }, "GET") => {
            insights::events(ctx, subscription).await
        }
        // The route table lists an operation this match does not serve; a test sends every
        // operation of the table, so this is never reached.
        _ => Err(ApiError::method_not_allowed(method.as_str(), spec.allow())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn host(h: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::HOST, HeaderValue::from_str(h).unwrap());
        m
    }

    #[test]
    fn next_links_name_our_address_never_a_foreign_host() {
        let lo = LocalAddr("127.0.0.1:8080".parse().unwrap());
        let lan = LocalAddr("10.0.0.5:8080".parse().unwrap());
        assert_eq!(
            own_base(&host("127.0.0.1:8080"), Some(&lo)),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            own_base(&host("LOCALHOST:8080"), Some(&lo)),
            "http://localhost:8080"
        );
        assert_eq!(
            own_base(&host("localhost:9999"), Some(&lo)),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            own_base(&host("evil.example"), Some(&lo)),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            own_base(&host("localhost:8080"), Some(&lan)),
            "http://10.0.0.5:8080"
        );
        assert_eq!(
            own_base(&HeaderMap::new(), Some(&lan)),
            "http://10.0.0.5:8080"
        );
        let v6 = LocalAddr("[::1]:8080".parse().unwrap());
        assert_eq!(
            own_base(&host("[::1]:8080"), Some(&v6)),
            "http://[::1]:8080"
        );
        assert_eq!(own_base(&host("x"), None), "http://localhost");
    }
}
