//! Conditional requests: `If-Match`, `If-None-Match` on writes (412) and on reads (304).

use crate::arm::{json_bytes_response, resource_response};
use crate::error::{ApiError, ApiResult};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

fn tags(headers: &HeaderMap, name: header::HeaderName) -> Option<Vec<String>> {
    let v = headers.get(name)?;
    // A header that is not visible ASCII can match no ETag of ours.
    let v = v.to_str().unwrap_or("\u{0}");
    Some(
        v.split(',')
            .map(|t| t.trim().trim_start_matches("W/").to_owned())
            .collect(),
    )
}

fn failed(msg: String) -> ApiError {
    ApiError::new(StatusCode::PRECONDITION_FAILED, "PreconditionFailed", msg)
}

/// `current` is the ETag of the resource as stored, or None when it does not exist.
pub fn check_write(headers: &HeaderMap, current: Option<&str>) -> ApiResult<()> {
    if let Some(want) = tags(headers, header::IF_MATCH) {
        match current {
            None => return Err(failed("If-Match was given but the resource does not exist.".into())),
            Some(cur) if !want.iter().any(|t| t == "*" || t == cur) => {
                return Err(failed(format!(
                    "The resource was changed by someone else (its ETag is now {cur}); read it again and retry."
                )))
            }
            _ => {}
        }
    }
    if let Some(not) = tags(headers, header::IF_NONE_MATCH) {
        if let Some(cur) = current {
            if not.iter().any(|t| t == "*" || t == cur) {
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
    if !not.iter().any(|t| t == "*" || t == etag) {
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
