//! Reading a request: the query map, the api-version, JSON bodies (naming the field that is
//! wrong), the request's context for handlers, and `nextLink`s.

use crate::error::{ApiError, ApiResult};
use crate::store::Store;
use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use peering_model::targets;
use peering_model::ApiVersion;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::Arc;

/// Everything a handler needs about one API request.
pub(crate) struct Ctx {
    pub store: Arc<dyn Store>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub query: HashMap<String, String>,
    pub raw_query: String,
    pub version: ApiVersion,
    pub path: String,
    /// Where `nextLink`s point: `--public-url`, or the listen address.
    pub base: String,
    /// Now in Unix seconds ([`crate::Settings::wall_clock`]).
    pub now: i64,
    pub retention: crate::settings::Retention,
    /// A write's record, to be stored with it (`None` for what is not a change).
    pub activity: Option<crate::store::Activity>,
}

impl Ctx {
    /// The record of the write this request makes; every write route has one (the
    /// dispatcher makes it), so its absence is the server's error.
    pub fn write_record(&self) -> ApiResult<crate::store::Activity> {
        self.activity
            .clone()
            .ok_or_else(|| ApiError::internal("a write reached its handler without its record"))
    }
}

impl Ctx {
    /// The absolute link to the page after `key`, keeping the other query parameters.
    pub fn next_link(&self, key: &(String, String)) -> String {
        let skip = format!("{}=", targets::SKIP_TOKEN.to_ascii_lowercase());
        let mut q: Vec<&str> = self
            .raw_query
            .split('&')
            .filter(|p| !p.is_empty() && !p.to_ascii_lowercase().starts_with(&skip))
            .collect();
        let token = format!(
            "{}={}",
            targets::SKIP_TOKEN,
            super::paging::encode_token(key)
        );
        q.push(&token);
        format!("{}{}?{}", self.base, self.path, q.join("&"))
    }
}

/// Query parameters as a map (any order). Keys are matched case-insensitively.
pub(crate) fn query_map(query: Option<&str>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        map.insert(decode(k).to_ascii_lowercase(), decode(v));
    }
    map
}

pub(crate) fn api_version(query: &HashMap<String, String>) -> ApiResult<ApiVersion> {
    match query.get(targets::API_VERSION) {
        None => Err(ApiError::bad_request(
            "MissingApiVersionParameter",
            format!("The api-version query parameter (?api-version=) is required for all requests. Supported versions: {}.", ApiVersion::spellings().join(", ")),
        ).with_target(targets::API_VERSION)),
        Some(v) => v.parse::<ApiVersion>().map_err(|_| {
            ApiError::bad_request(
                "InvalidApiVersionParameter",
                format!("The api-version '{v}' is invalid. The supported versions are '{}'.", ApiVersion::spellings().join(",")),
            )
            .with_target(targets::API_VERSION)
        }),
    }
}

/// Decode a JSON body, naming the field that is malformed or has the wrong type. Requires a
/// JSON content type. `objects` are the paths (`""` for the root, `"properties"`, ...) where
/// `T` has a struct: serde would also read a struct from an array, which ARM refuses.
pub(crate) fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
    objects: &[&str],
) -> ApiResult<T> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !(mime.eq_ignore_ascii_case("application/json")
        || mime.to_ascii_lowercase().ends_with("+json"))
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!("The request body must be JSON (Content-Type: application/json), not '{ct}'."),
        ));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "InvalidRequestContent",
            "The request body is empty; send the resource as JSON.",
        ));
    }
    let invalid = |path: String, inner: serde_json::Error| {
        let target = (path != "." && path != "?").then_some(path);
        let msg = match &target {
            Some(p) => format!("The request content is invalid at '{p}': {inner}."),
            None if inner.is_data() => {
                format!("The request content must be a JSON object: {inner}.")
            }
            None => format!("The request content is not valid JSON: {inner}."),
        };
        let mut err = ApiError::bad_request("InvalidRequestContent", msg);
        err.target = target;
        err
    };
    let de = &mut serde_json::Deserializer::from_slice(body);
    let value: serde_json::Value = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        invalid(path, e.into_inner())
    })?;
    for path in objects {
        let v = if path.is_empty() {
            Some(&value)
        } else {
            path.split('.').try_fold(&value, |v, k| v.get(k))
        };
        if let Some(v) = v.filter(|v| !(v.is_object() || v.is_null() && !path.is_empty())) {
            let kind = match v {
                serde_json::Value::Array(_) => "an array",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::Bool(_) => "a boolean",
                _ => "null",
            };
            let mut err = ApiError::bad_request(
                "InvalidRequestContent",
                if path.is_empty() {
                    format!("The request content must be a JSON object, not {kind}.")
                } else {
                    format!("The request content is invalid at '{path}': expected a JSON object, not {kind}.")
                },
            );
            err.target = (!path.is_empty()).then(|| path.to_string());
            return Err(err);
        }
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        invalid(path, e.into_inner())
    })
}

/// The error for a request body that could not be read: 413 when it is larger than the limit,
/// 400 for any other failure (the client broke off, a malformed chunk, ...).
pub(crate) fn body_read_error(e: axum::Error, limit: usize) -> ApiError {
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    #[test]
    fn query_is_a_map() {
        let q = query_map(Some("country=United%20States&api-version=2022-10-01"));
        assert_eq!(q["country"], "United States");
        assert_eq!(api_version(&q).unwrap(), ApiVersion::V2022_10_01);
        assert_eq!(
            api_version(&query_map(Some("api-version=2020-01-01")))
                .unwrap_err()
                .code,
            "InvalidApiVersionParameter"
        );
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
