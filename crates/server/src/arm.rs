//! ARM request plumbing: path parsing (namespace and resource types case-insensitive,
//! segments percent-decoded after splitting), api-version, query map, bodies, responses.

use crate::error::{ApiError, ApiResult};
use crate::routes::RouteKind;
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub const NAMESPACE: &str = "Microsoft.Peering";

/// The api-versions we speak. 2025-05-01 adds `systemData` and error `details`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ApiVersion {
    V2021_06_01,
    V2022_10_01,
    V2025_05_01,
}

impl ApiVersion {
    pub fn parse(s: &str) -> Option<ApiVersion> {
        match s {
            "2021-06-01" => Some(ApiVersion::V2021_06_01),
            "2022-10-01" => Some(ApiVersion::V2022_10_01),
            "2025-05-01" => Some(ApiVersion::V2025_05_01),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V2021_06_01 => "2021-06-01",
            ApiVersion::V2022_10_01 => "2022-10-01",
            ApiVersion::V2025_05_01 => "2025-05-01",
        }
    }

    pub fn has_system_data(self) -> bool {
        self >= ApiVersion::V2025_05_01
    }
}

/// Where a request points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Operations,
    /// `/subscriptions/{sub}/providers/Microsoft.Peering/{op}`
    Subscription {
        sub: String,
        op: SubscriptionOp,
    },
    /// `.../resourceGroups/{rg}/providers/Microsoft.Peering/peeringServices`
    ServicesInGroup {
        sub: String,
        rg: String,
    },
    Service(ServicePath),
    Prefixes(ServicePath),
    Prefix(ServicePath, String),
    MonitorTests(ServicePath),
    MonitorTest(ServicePath, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePath {
    pub sub: String,
    pub rg: String,
    pub name: String,
}

impl ServicePath {
    /// The resource group as its key column holds it (names compare case-insensitively).
    pub fn rg_key(&self) -> String {
        self.rg.to_lowercase()
    }

    /// The connection's name as its key column holds it.
    pub fn name_key(&self) -> String {
        self.name.to_ascii_lowercase()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionOp {
    PeeringServices,
    Countries,
    Locations,
    Providers,
    CheckAvailability,
    InitializeConnectionMonitor,
}

impl Route {
    pub fn kind(&self) -> RouteKind {
        match self {
            Route::Operations => RouteKind::Operations,
            Route::Subscription { op, .. } => match op {
                SubscriptionOp::PeeringServices => RouteKind::ServicesBySubscription,
                SubscriptionOp::Countries => RouteKind::Countries,
                SubscriptionOp::Locations => RouteKind::Locations,
                SubscriptionOp::Providers => RouteKind::Providers,
                SubscriptionOp::CheckAvailability => RouteKind::CheckAvailability,
                SubscriptionOp::InitializeConnectionMonitor => {
                    RouteKind::InitializeConnectionMonitor
                }
            },
            Route::ServicesInGroup { .. } => RouteKind::ServicesInGroup,
            Route::Service(_) => RouteKind::Service,
            Route::Prefixes(_) => RouteKind::Prefixes,
            Route::Prefix(..) => RouteKind::Prefix,
            Route::MonitorTests(_) => RouteKind::MonitorTests,
            Route::MonitorTest(..) => RouteKind::MonitorTest,
        }
    }

    pub fn subscription(&self) -> Option<&str> {
        match self {
            Route::Operations => None,
            Route::Subscription { sub, .. } | Route::ServicesInGroup { sub, .. } => Some(sub),
            Route::Service(p)
            | Route::Prefixes(p)
            | Route::Prefix(p, _)
            | Route::MonitorTests(p)
            | Route::MonitorTest(p, _) => Some(&p.sub),
        }
    }
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Whether a path belongs to the API (as opposed to the app's static files).
pub fn is_api_path(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    eq(first, "subscriptions") || eq(first, "providers")
}

fn not_found_path(path: &str) -> ApiError {
    ApiError::not_found(
        "InvalidResourceType",
        format!("The path '{path}' does not name a Microsoft.Peering resource or operation."),
    )
}

/// Parse an API path. Segments are split first, then percent-decoded, so an encoded `/` stays
/// inside its name.
pub fn parse_route(raw_path: &str) -> ApiResult<Route> {
    let mut segs = Vec::new();
    for s in raw_path.trim_start_matches('/').split('/') {
        let decoded = percent_decode_str(s).decode_utf8().map_err(|_| {
            ApiError::bad_request(
                "InvalidPath",
                format!("The path segment '{s}' is not valid UTF-8 after percent-decoding."),
            )
        })?;
        segs.push(decoded.into_owned());
    }
    if segs.last().is_some_and(|s| s.is_empty()) && segs.len() > 1 {
        segs.pop();
    }
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let nf = || not_found_path(raw_path);
    match s.as_slice() {
        [p, ns, ops] if eq(p, "providers") && eq(ns, NAMESPACE) && eq(ops, "operations") => {
            Ok(Route::Operations)
        }
        [subs, sub, p, ns, op]
            if eq(subs, "subscriptions") && eq(p, "providers") && eq(ns, NAMESPACE) =>
        {
            let op = match op.to_ascii_lowercase().as_str() {
                "peeringservices" => SubscriptionOp::PeeringServices,
                "peeringservicecountries" => SubscriptionOp::Countries,
                "peeringservicelocations" => SubscriptionOp::Locations,
                "peeringserviceproviders" => SubscriptionOp::Providers,
                "checkserviceprovideravailability" => SubscriptionOp::CheckAvailability,
                "initializeconnectionmonitor" => SubscriptionOp::InitializeConnectionMonitor,
                _ => return Err(nf()),
            };
            Ok(Route::Subscription {
                sub: sub.to_ascii_lowercase(),
                op,
            })
        }
        [subs, sub, rgs, rg, p, ns, ty, rest @ ..]
            if eq(subs, "subscriptions")
                && eq(rgs, "resourceGroups")
                && eq(p, "providers")
                && eq(ns, NAMESPACE)
                && eq(ty, "peeringServices") =>
        {
            // Subscription ids are GUIDs, compared case-insensitively: kept in lower case.
            let (sub, rg) = (sub.to_ascii_lowercase(), rg.to_string());
            match rest {
                [] => Ok(Route::ServicesInGroup { sub, rg }),
                [name, tail @ ..] => {
                    let sp = ServicePath {
                        sub,
                        rg,
                        name: name.to_string(),
                    };
                    match tail {
                        [] => Ok(Route::Service(sp)),
                        [t] if eq(t, "prefixes") => Ok(Route::Prefixes(sp)),
                        [t, n] if eq(t, "prefixes") => Ok(Route::Prefix(sp, n.to_string())),
                        [t] if eq(t, "connectionMonitorTests") => Ok(Route::MonitorTests(sp)),
                        [t, n] if eq(t, "connectionMonitorTests") => {
                            Ok(Route::MonitorTest(sp, n.to_string()))
                        }
                        _ => Err(nf()),
                    }
                }
            }
        }
        _ => Err(nf()),
    }
}

/// Query parameters as a map (any order). Keys are matched case-insensitively.
pub fn query_map(query: Option<&str>) -> HashMap<String, String> {
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

pub fn api_version(query: &HashMap<String, String>) -> ApiResult<ApiVersion> {
    match query.get("api-version") {
        None => Err(ApiError::bad_request(
            "MissingApiVersionParameter",
            format!("The api-version query parameter (?api-version=) is required for all requests. Supported versions: {}.", peering_model::API_VERSIONS.join(", ")),
        ).with_target("api-version")),
        Some(v) => ApiVersion::parse(v).ok_or_else(|| {
            ApiError::bad_request(
                "InvalidApiVersionParameter",
                format!("The api-version '{v}' is invalid. The supported versions are '{}'.", peering_model::API_VERSIONS.join(",")),
            )
            .with_target("api-version")
        }),
    }
}

/// Decode a JSON body, naming the field that is malformed or has the wrong type. Requires a
/// JSON content type. `objects` are the paths (`""` for the root, `"properties"`, ...) where
/// `T` has a struct: serde would also read a struct from an array, which ARM refuses.
pub fn json_body<T: DeserializeOwned>(
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

/// The `ETag` of a representation: a hash of its JSON.
pub fn etag_of(json: &[u8]) -> String {
    use sha2::Digest;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let d = sha2::Sha256::digest(json);
    let mut tag = String::with_capacity(26);
    tag.push('"');
    for b in &d[..12] {
        tag.push(HEX[usize::from(b >> 4)] as char);
        tag.push(HEX[usize::from(b & 15)] as char);
    }
    tag.push('"');
    tag
}

/// A JSON response from bytes already serialised, with an ETag when it is a resource.
pub fn json_bytes_response(status: StatusCode, body: Vec<u8>, etag: Option<&str>) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert(header::ETAG, tag);
    }
    res
}

/// A JSON response (lists, the availability string); no ETag.
pub fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(b) => json_bytes_response(status, b, None),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// A list answer written into one buffer as its items are produced:
/// `{"value":[item,item,...],"nextLink":next}`, with no `nextLink` on the last page.
pub struct ListBody {
    buf: Vec<u8>,
    items: usize,
}

impl ListBody {
    pub fn with_capacity(bytes: usize) -> ListBody {
        let mut buf = Vec::with_capacity(bytes + 64);
        buf.extend_from_slice(b"{\"value\":[");
        ListBody { buf, items: 0 }
    }

    /// The buffer to write the next item's JSON into.
    pub fn next_item(&mut self) -> &mut Vec<u8> {
        if self.items > 0 {
            self.buf.push(b',');
        }
        self.items += 1;
        &mut self.buf
    }

    pub fn into_response(mut self, next: Option<&str>) -> Response {
        self.buf.push(b']');
        if let Some(link) = next {
            self.buf.extend_from_slice(b",\"nextLink\":");
            if serde_json::to_writer(&mut self.buf, link).is_err() {
                return ApiError::internal("nextLink").into_response();
            }
        }
        self.buf.push(b'}');
        json_bytes_response(StatusCode::OK, self.buf, None)
    }
}

/// The status of a PUT: 201 when it created the resource, 200 when it replaced it.
pub fn put_status(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// The answer to a DELETE: 200 when the resource was deleted, 204 when there was none.
pub fn delete_response(existed: bool) -> Response {
    if existed {
        StatusCode::OK
    } else {
        StatusCode::NO_CONTENT
    }
    .into_response()
}

/// A resource with its ETag. The ETag is computed by the caller from the resource's canonical
/// representation, so it is the same whatever api-version or `$expand` the request used.
pub fn resource_response<T: Serialize>(status: StatusCode, value: &T, etag: &str) -> Response {
    match serde_json::to_vec(value) {
        Ok(b) => json_bytes_response(status, b, Some(etag)),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// The ETag of a resource: a hash of its canonical representation.
pub fn etag_of_value<T: Serialize>(value: &T) -> String {
    etag_of(&serde_json::to_vec(value).unwrap_or_default())
}

/// The absolute URL base (`http://host`) the client used, for `nextLink`.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{proto}://{host}")
}

/// Characters kept as they are in a path segment of a resource id: RFC 3986 unreserved ones
/// and `( )`, which resource group names may hold.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'(')
    .remove(b')');

pub fn encode_segment(s: &str) -> String {
    encode_segment_display(s).to_string()
}

/// [`encode_segment`] without allocating, for writing ids straight into a response.
pub fn encode_segment_display(s: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(s, SEGMENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_case_insensitive_and_decoded_after_split() {
        let r = parse_route(
            "/SUBSCRIPTIONS/s/resourcegroups/rg/providers/microsoft.peering/PEERINGSERVICES/a%2Fb",
        )
        .unwrap();
        assert_eq!(
            r,
            Route::Service(ServicePath {
                sub: "s".into(),
                rg: "rg".into(),
                name: "a/b".into()
            })
        );
        assert!(parse_route("/subscriptions/s/providers/Microsoft.Other/peeringServices").is_err());
        assert_eq!(
            parse_route("/providers/Microsoft.Peering/operations/").unwrap(),
            Route::Operations
        );
    }

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
}
