//! Security headers, the app's Content-Security-Policy, and CORS.

use crate::settings::Settings;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use peering_model::ArmPath;
use std::sync::Arc;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Whether `s` can stand in a CSP source list as one source (no separators, visible ASCII).
pub fn is_csp_source(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b';' && b != b',')
}

/// The policy of the app's pages: scripts only from the app's origin (and its wasm), no
/// inline script or style attribute, framed only by `frame_ancestors`, fetching from its own
/// origin and `connect` (the identity provider's, for sign-in); violations reported to
/// `report` when given (`--csp-report-log`).
pub(crate) fn app_policy(
    frame_ancestors: &[String],
    connect: &[String],
    report: Option<&str>,
) -> String {
    let fa = if frame_ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        frame_ancestors.join(" ")
    };
    let connect = if connect.is_empty() {
        String::new()
    } else {
        format!("; connect-src 'self' {}", connect.join(" "))
    };
    let report = report.map_or(String::new(), |r| format!("; report-uri {r}"));
    format!("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; frame-ancestors {fa}{connect}{report}")
}

/// The policy of every JSON answer: a browser that renders one runs nothing, loads nothing and
/// frames it nowhere.
const JSON_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// HSTS for a year, sent only when the public URL is https (over http it would be ignored,
/// and on a wrong setting it would lock browsers out of a plain-http server).
const HSTS: &str = "max-age=31536000";

/// Adds the headers every response carries: `nosniff`, `Referrer-Policy: no-referrer` (an
/// app URL never leaks to another site), `Cache-Control: no-store` on the API (its answers
/// are per token: no cache may keep them), the JSON policy on JSON answers that have none,
/// and HSTS when the server is public over https.
pub(crate) async fn headers(
    State(settings): State<Arc<Settings>>,
    req: Request,
    next: Next,
) -> Response {
    let api = ArmPath::is_api_path(req.uri().path());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let json = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if json && !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(JSON_POLICY),
        );
    }
    if settings.is_https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    res
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
            HeaderName::from_static("x-ms-request-id"),
        ])
        .max_age(std::time::Duration::from_secs(600)))
}

#[cfg(test)]
mod tests {
    use super::app_policy;

    #[test]
    fn the_app_may_fetch_from_the_identity_provider_and_nowhere_else() {
        let plain = app_policy(&[], &[], None);
        assert!(!plain.contains("connect-src"), "{plain}");
        let signing_in = app_policy(&[], &["https://login.example.com".into()], None);
        assert!(
            signing_in.contains("; connect-src 'self' https://login.example.com"),
            "{signing_in}"
        );
        assert!(signing_in.starts_with("default-src 'self'; script-src 'self' 'wasm-unsafe-eval';"));
    }
}
