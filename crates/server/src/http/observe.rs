//! Observability: a span per request (method, matched route, status, latency, request id),
//! the request id echoed as `x-ms-request-id`, errors logged here (their cause travels with the
//! response), and security events: 401, 403, 429, and every write with who made it (a
//! person's name, or a static token's grant name; never a token) and the resource it wrote.

use crate::error::ErrorCause;
use crate::routes::RouteKind;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use peering_model::ArmPath;
use std::net::SocketAddr;
use std::time::Instant;
use tracing::{field, Instrument};

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-request-id");
pub(crate) const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-client-request-id");
pub(crate) const CORRELATION_ID: HeaderName =
    HeaderName::from_static("x-ms-correlation-request-id");

/// The request's id (`x-ms-request-id`), put on the request for the handlers (the activity
/// log records it).
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub String);

/// A client's id header (`x-ms-client-request-id`, `x-ms-correlation-request-id`) when it
/// is short printable ASCII, as ARM's are; anything else is not kept or echoed.
pub(crate) fn client_id(headers: &axum::http::HeaderMap, name: &HeaderName) -> Option<String> {
    headers
        .get(name)
        .filter(|v| v.len() <= 64)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_owned)
}

/// Who made a request (a person's name, or a static grant's name) and whether a person
/// (`User`) or a static token (`Application`), attached to the response by the dispatcher for
/// the log.
#[derive(Debug, Clone)]
pub(crate) struct CallerId {
    pub name: String,
    pub kind: &'static str,
}

/// The client's address as the trusted proxies name it (`http::client`), attached to the
/// response by the dispatcher for the log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub std::net::IpAddr);

/// A fresh request id, GUID-shaped as ARM's are: 8 random bytes drawn once per process, then
/// a counter passed through a bijective mix (so ids stay unique, but do not tell how many
/// requests the server has served), without a system call per request.
pub(crate) fn new_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        let mut b = [0u8; 8];
        // The OS random source does not fail on the platforms we run on; were it to, the ids
        // would still be unique within the process.
        let _ = getrandom::fill(&mut b);
        u64::from_be_bytes(b)
    });
    // splitmix64's finaliser: a bijection of u64, so distinct counters give distinct ids.
    let mut n = NEXT.fetch_add(1, Ordering::Relaxed) ^ prefix;
    n = (n ^ (n >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    n = (n ^ (n >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    n ^= n >> 31;
    let h = format!("{prefix:016x}{n:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// The route template a request matched, for the log (never the path itself: names stay out
/// of the log's route field, and its cardinality stays small). The dispatcher puts the
/// matched [`RouteKind`] on the response, so the path is parsed once.
fn route_of(res: &Response, path: &str) -> &'static str {
    match res.extensions().get::<RouteKind>() {
        Some(kind) => kind.spec().path,
        None if ArmPath::is_api_path(path) => "unknown API path",
        None => "static",
    }
}

fn is_write(m: &Method) -> bool {
    matches!(
        *m,
        Method::PUT | Method::PATCH | Method::DELETE | Method::POST
    )
}

pub(crate) async fn trace(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = new_request_id();
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let client_request_id =
        client_id(req.headers(), &CLIENT_REQUEST_ID).and_then(|v| HeaderValue::from_str(&v).ok());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = field::Empty,
        client = %client,
        status = field::Empty,
        latency_ms = field::Empty,
    );
    let mut res = next.run(req).instrument(span.clone()).await;
    let route = route_of(&res, &path);
    span.record("route", route);
    let status = res.status();
    let latency = started.elapsed().as_secs_f64() * 1000.0;
    span.record("status", status.as_u16());
    span.record("latency_ms", latency);
    if let Some(ClientAddr(ip)) = res.extensions().get::<ClientAddr>() {
        span.record("client", field::display(ip));
    }
    let (caller, caller_type) = match res.extensions().get::<CallerId>() {
        Some(c) => (c.name.clone(), c.kind),
        None => ("-".to_owned(), "-"),
    };
    let caller = caller.as_str();
    let _entered = span.enter();
    if let Some(ErrorCause(cause)) = res.extensions().get::<ErrorCause>() {
        tracing::error!(caller, %cause, "request failed inside the server");
    } else if status == StatusCode::UNAUTHORIZED {
        tracing::warn!(
            security = "authentication-failed",
            "request without a valid token"
        );
    } else if status == StatusCode::FORBIDDEN {
        tracing::warn!(
            security = "forbidden",
            caller,
            caller_type,
            "token refused for this request"
        );
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        tracing::warn!(
            security = "rate-limited",
            caller,
            "request over the rate limit"
        );
    } else if is_write(&method) && route != "static" {
        // The path of a write is the resource it wrote (its ARM id), or the subscription's
        // operation it ran.
        tracing::info!(security = "write", caller, caller_type, resource = %path, "write");
    } else {
        tracing::debug!("request served");
    }
    drop(_entered);
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert(REQUEST_ID, v);
    }
    if let Some(v) = client_request_id {
        h.insert(CLIENT_REQUEST_ID, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_fresh_guids() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        assert!(peering_model::names::is_guid(&a), "{a}");
    }

    #[test]
    fn routes_are_templates() {
        let mut res = Response::new(axum::body::Body::empty());
        assert_eq!(route_of(&res, "/c/rg/x"), "static");
        assert_eq!(route_of(&res, "/subscriptions/x/nope"), "unknown API path");
        res.extensions_mut().insert(RouteKind::Service);
        assert_eq!(
            route_of(&res, "/subscriptions/s/resourceGroups/secret-rg/providers/Microsoft.Peering/peeringServices/secret"),
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Peering/peeringServices/{peeringServiceName}"
        );
    }
}
