//! Conditional requests: `If-Match`, `If-None-Match` on writes (412) and on reads (304).
//!
//! As RFC 9110 §13.1 says: `If-Match` uses the strong comparison (a weak tag `W/"..."` never
//! matches, so a client holding only a weak validator cannot overwrite), `If-None-Match` the
//! weak one (`W/"x"` matches `"x"`). The server's own ETags are strong.

use super::response::{json_bytes_response, resource_response};
use crate::error::{ApiError, ApiResult};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The entity tags of a conditional header, as sent (`*`, `"x"` or `W/"x"`).
fn tags(headers: &HeaderMap, name: header::HeaderName) -> Option<Vec<String>> {
    let v = headers.get(name)?;
    // A header that is not visible ASCII can match no ETag of ours.
    let v = v.to_str().unwrap_or("\u{0}");
    Some(v.split(',').map(|t| t.trim().to_owned()).collect())
}

/// `If-Match`: the strong comparison. A weak tag matches nothing.
fn strong_match(tag: &str, current: &str) -> bool {
    tag == "*" || (!tag.starts_with("W/") && tag == current)
}

/// `If-None-Match`: the weak comparison, whether either tag is weak.
fn weak_match(tag: &str, current: &str) -> bool {
    let opaque = |t: &str| t.strip_prefix("W/").unwrap_or(t).to_owned();
    tag == "*" || opaque(tag) == opaque(current)
}

fn failed(msg: String) -> ApiError {
    ApiError::new(StatusCode::PRECONDITION_FAILED, "PreconditionFailed", msg)
}

/// `current` is the ETag of the resource as stored, or None when it does not exist.
pub fn check_write(headers: &HeaderMap, current: Option<&str>) -> ApiResult<()> {
    if let Some(want) = tags(headers, header::IF_MATCH) {
        match current {
            None => return Err(failed("If-Match was given but the resource does not exist.".into())),
            Some(cur) if !want.iter().any(|t| strong_match(t, cur)) => {
                return Err(failed(format!(
                    "The resource was changed by someone else (its ETag is now {cur}); read it again and retry."
                )))
            }
            _ => {}
        }
    }
    if let Some(not) = tags(headers, header::IF_NONE_MATCH) {
        if let Some(cur) = current {
            if not.iter().any(|t| weak_match(t, cur)) {
                return Err(failed(
                    "The resource already exists (If-None-Match).".into(),
                ));
            }
        }
    }
    Ok(())
}

/// Whether a write must look at the stored representation (only when it has preconditions).
pub fn has_preconditions(headers: &HeaderMap) -> bool {
    headers.contains_key(header::IF_MATCH) || headers.contains_key(header::IF_NONE_MATCH)
}

/// [`check_write`] against `current`, whose ETag is computed only when the request has
/// preconditions.
pub fn check_write_with<T>(
    headers: &HeaderMap,
    current: Option<&T>,
    etag: impl Fn(&T) -> String,
) -> ApiResult<()> {
    if !has_preconditions(headers) {
        return Ok(());
    }
    check_write(headers, current.map(etag).as_deref())
}

/// 304 with the ETag when `If-None-Match` names it.
fn not_modified(headers: &HeaderMap, etag: &str) -> Option<Response> {
    let not = tags(headers, header::IF_NONE_MATCH)?;
    if !not.iter().any(|t| weak_match(t, etag)) {
        return None;
    }
    let mut res = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(v) = HeaderValue::from_str(etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Some(res)
}

/// A 200 with the resource and its ETag, or 304 when `If-None-Match` names that ETag.
pub fn read_response<T: Serialize>(headers: &HeaderMap, value: &T, etag: &str) -> Response {
    not_modified(headers, etag).unwrap_or_else(|| resource_response(StatusCode::OK, value, etag))
}

/// [`read_response`] for a resource already serialised.
pub fn read_bytes_response(headers: &HeaderMap, json: Vec<u8>, etag: &str) -> Response {
    not_modified(headers, etag)
        .unwrap_or_else(|| json_bytes_response(StatusCode::OK, json, Some(etag)))
}

/// Lists have no stored version, so their validator is a digest of the answer itself: a
/// client polling a list with `If-None-Match` gets a 304 without a body while nothing changed
/// (the query still runs; the transfer and the client's work are saved). Only successful
/// JSON answers to GET that carry no ETag of their own get one, so a resource's stored ETag is
/// never replaced. The digest is of the exact bytes, so it is a strong validator.
pub async fn list_validators(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if req.method() != axum::http::Method::GET {
        return next.run(req).await;
    }
    let headers = req.headers().clone();
    let res = next.run(req).await;
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if res.status() != StatusCode::OK || !json || res.headers().contains_key(header::ETAG) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // The body is already one buffer (lists are written whole), so this copies nothing big.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let digest = {
        use sha2::Digest;
        sha2::Sha256::digest(&bytes)
    };
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"l-{hex}\"");
    if let Some(not) = not_modified(&headers, &etag) {
        return not;
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        parts.headers.insert(header::ETAG, v);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "\"abc\"";

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn if_match_compares_strongly() {
        for ok in ["\"abc\"", "*", "\"x\", \"abc\""] {
            assert!(
                check_write(&with(header::IF_MATCH, ok), Some(TAG)).is_ok(),
                "{ok}"
            );
        }
        for bad in ["W/\"abc\"", "\"x\"", "W/\"x\", W/\"abc\"", "abc"] {
            let e = check_write(&with(header::IF_MATCH, bad), Some(TAG)).unwrap_err();
            assert_eq!(
                (e.status, e.code),
                (StatusCode::PRECONDITION_FAILED, "PreconditionFailed"),
                "{bad}"
            );
        }
        assert!(check_write(&with(header::IF_MATCH, "*"), None).is_err());
    }

    #[test]
    fn if_none_match_compares_weakly() {
        for hit in ["\"abc\"", "W/\"abc\"", "*", "\"x\", W/\"abc\""] {
            assert!(
                check_write(&with(header::IF_NONE_MATCH, hit), Some(TAG)).is_err(),
                "{hit}"
            );
            let res = read_bytes_response(&with(header::IF_NONE_MATCH, hit), b"{}".to_vec(), TAG);
            assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{hit}");
        }
        for miss in ["\"x\"", "W/\"x\""] {
            assert!(
                check_write(&with(header::IF_NONE_MATCH, miss), Some(TAG)).is_ok(),
                "{miss}"
            );
            let res = read_bytes_response(&with(header::IF_NONE_MATCH, miss), b"{}".to_vec(), TAG);
            assert_eq!(res.status(), StatusCode::OK, "{miss}");
        }
        assert!(check_write(&with(header::IF_NONE_MATCH, "*"), None).is_ok());
    }
}
