//! Observability: a span per request (method, matched route, status, latency, request id),
//! the request id echoed as `x-ms-request-id`, errors logged here (their cause travels with the
//! response), and security events: 401, 403, 429, and every write with the caller's token
//! fingerprint (never a token).

use crate::error::ErrorCause;
use crate::routes::{kind_of, RouteKind};
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use peering_model::ArmPath;
use std::net::SocketAddr;
use std::time::Instant;
use tracing::{field, Instrument};

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-request-id");
const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-client-request-id");

/// Who made a request (a fingerprint of the token), attached to the response by the dispatcher
/// for the log.
#[derive(Debug, Clone)]
pub(crate) struct CallerId(pub String);

/// A fresh request id: 16 random bytes as a GUID-shaped string, as ARM's are.
fn new_request_id() -> String {
    let mut b = [0u8; 16];
    // The OS random source does not fail on the platforms we run on; an all-zero id would still
    // be a valid (if unhelpful) id.
    let _ = getrandom::fill(&mut b);
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// The route template a path matched, for the log (never the path itself: names stay out of
/// the log's route field, and its cardinality stays small).
fn route_of(path: &str) -> &'static str {
    if path == RouteKind::OpenApi.spec().path {
        RouteKind::OpenApi.spec().path
    } else if ArmPath::is_api_path(path) {
        ArmPath::parse(path)
            .map(|p| kind_of(&p).spec().path)
            .unwrap_or("unknown API path")
    } else {
        "static"
    }
}

fn is_write(m: &Method) -> bool {
    matches!(
        *m,
        Method::PUT | Method::PATCH | Method::DELETE | Method::POST
    )
}

pub(crate) async fn trace(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = new_request_id();
    let method = req.method().clone();
    let route = route_of(req.uri().path());
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let client_request_id = req
        .headers()
        .get(CLIENT_REQUEST_ID)
        .filter(|v| v.len() <= 64 && v.to_str().is_ok())
        .cloned();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route,
        client = %client,
        status = field::Empty,
        latency_ms = field::Empty,
    );
    let mut res = next.run(req).instrument(span.clone()).await;
    let status = res.status();
    let latency = started.elapsed().as_secs_f64() * 1000.0;
    span.record("status", status.as_u16());
    span.record("latency_ms", latency);
    let caller = res.extensions().get::<CallerId>().map(|c| c.0.clone());
    let caller = caller.as_deref().unwrap_or("-");
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
            "token refused for this request"
        );
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        tracing::warn!(
            security = "rate-limited",
            caller,
            "request over the rate limit"
        );
    } else if is_write(&method) && route != "static" {
        tracing::info!(security = "write", caller, "write");
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
        assert_eq!(
            route_of("/subscriptions/s/resourceGroups/secret-rg/providers/Microsoft.Peering/peeringServices/secret"),
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Peering/peeringServices/{peeringServiceName}"
        );
        assert_eq!(route_of("/c/rg/x"), "static");
        assert_eq!(route_of("/subscriptions/x/nope"), "unknown API path");
    }
}
